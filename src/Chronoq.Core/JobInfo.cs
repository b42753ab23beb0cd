namespace Chronoq.Core;

/// <summary>A snapshot of a job with its state and counters (chronoq.v1.Job, beanstalkd's stats-job).</summary>
public readonly record struct JobInfo
{
    /// <summary>Server-assigned id, never reused.</summary>
    public ulong Id { get; init; }

    /// <summary>The topic.</summary>
    public string Topic { get; init; }

    /// <summary>The payload.</summary>
    public ReadOnlyMemory<byte> Body { get; init; }

    /// <summary>Lower is more urgent.</summary>
    public uint Priority { get; init; }

    /// <summary>The state.</summary>
    public JobState State { get; init; }

    /// <summary>When a delayed job becomes ready; otherwise when it last became (or was scheduled to become) ready.</summary>
    public DateTimeOffset ReadyAt { get; init; }

    /// <summary>Time-to-run of each reservation.</summary>
    public TimeSpan Ttr { get; init; }

    /// <summary>Business key, or null.</summary>
    public string? Key { get; init; }

    /// <summary>When the job was put.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>How many times the job was reserved.</summary>
    public uint Reserves { get; init; }

    /// <summary>How many reservations ran past their TTR.</summary>
    public uint Timeouts { get; init; }

    /// <summary>How many times the job was released.</summary>
    public uint Releases { get; init; }

    /// <summary>How many times the job was buried.</summary>
    public uint Buries { get; init; }

    /// <summary>How many times the job was kicked.</summary>
    public uint Kicks { get; init; }

    /// <summary>Headers, or null when there are none.</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    /// <summary>For a reserved job, when its TTR runs out; otherwise null.</summary>
    public DateTimeOffset? Deadline { get; init; }
}
