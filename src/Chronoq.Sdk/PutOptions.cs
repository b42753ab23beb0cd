namespace Chronoq.Sdk;

/// <summary>
/// How a job is put: its priority, schedule, time-to-run, business key and headers. Immutable;
/// <see cref="Default"/> is ready now, priority 0, the server's default TTR, no key.
/// </summary>
public sealed record PutOptions
{
    /// <summary>Ready now, priority 0, TTR unset (the server's 60 s), no key, no headers.</summary>
    public static PutOptions Default { get; } = new();

    /// <summary>Lower is more urgent; 0 (the default) is the most urgent.</summary>
    public uint Priority { get; init; }

    /// <summary>Ready after this delay (must not be negative). Wins over <see cref="RunAt"/> when both are set. Default null: ready now.</summary>
    public TimeSpan? Delay { get; init; }

    /// <summary>Ready at this time; a time in the past is ready now. Default null: ready now.</summary>
    public DateTimeOffset? RunAt { get; init; }

    /// <summary>Time-to-run of each reservation. Null (the default) leaves it to the server (60 s); below 1 s means 1 s.</summary>
    public TimeSpan? Ttr { get; init; }

    /// <summary>
    /// Business key, unique per topic among live jobs: a put whose key a live job already has
    /// returns that job's id with <see cref="PutResult.Created"/> false and changes nothing. A
    /// keyed put is idempotent, so the client retries it when the server is unavailable; an
    /// unkeyed one is not retried (a lost answer would otherwise create the job twice).
    /// Default null: no key.
    /// </summary>
    public string? Key { get; init; }

    /// <summary>Headers carried with the job. The client adds <c>traceparent</c> when a trace is active. Default none.</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }
}
