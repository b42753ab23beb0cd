namespace Chronoq.Core;

/// <summary>Counters of one topic (chronoq.v1.TopicStats); a topic with no jobs reports zeros.</summary>
public sealed record TopicStats
{
    public required string Name { get; init; }
    public ulong Ready { get; init; }
    public ulong Delayed { get; init; }
    public ulong Reserved { get; init; }
    public ulong Buried { get; init; }

    /// <summary>Reservers (streams with a free slot, ReserveOne callers) waiting on this topic.</summary>
    public ulong Waiting { get; init; }
    public ulong TotalPuts { get; init; }
    public ulong TotalDeletes { get; init; }
    public ulong TotalTimeouts { get; init; }

    /// <summary>Time left of a pause; zero when not paused.</summary>
    public TimeSpan PauseRemaining { get; init; }
}
