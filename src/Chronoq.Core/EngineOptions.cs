namespace Chronoq.Core;

/// <summary>Limits and tuning of the engine. Every default is stated; <see cref="Validate"/> names a bad setting.</summary>
public sealed record EngineOptions
{
    /// <summary>The defaults.</summary>
    public static EngineOptions Default { get; } = new();

    /// <summary>Most live jobs held at once; a put beyond it is RESOURCE_EXHAUSTED. Default 10,000,000.</summary>
    public int MaxJobs { get; init; } = 10_000_000;

    /// <summary>Largest body accepted; larger is RESOURCE_EXHAUSTED naming <c>body</c>. Default 1 MiB.</summary>
    public int MaxBodyBytes { get; init; } = 1 << 20;

    /// <summary>Longest key; longer is INVALID_ARGUMENT naming <c>key</c>. Default 1024 characters.</summary>
    public int MaxKeyLength { get; init; } = 1024;

    /// <summary>Most jobs in one PutBatch or DeleteBatch. Default 10,000.</summary>
    public int MaxBatchItems { get; init; } = 10_000;

    /// <summary>Largest prefetch of a reservation stream. Default 10,000.</summary>
    public int MaxPrefetch { get; init; } = 10_000;

    /// <summary>
    /// Most topics one Reserve or ReserveOne may name; more is INVALID_ARGUMENT naming <c>topics</c>.
    /// Default 100: a waiter is linked into every topic it names, so the count bounds the work one
    /// call can make the engine do.
    /// </summary>
    public int MaxTopicsPerReserve { get; init; } = 100;

    /// <summary>
    /// Most topics that can hold jobs; a put into a topic past them is RESOURCE_EXHAUSTED naming
    /// <c>topic</c>. Default and upper bound 65,536: a job keeps its topic's index in 16 bits of its
    /// 32-byte slot. Topics are never forgotten while the server runs, so this counts every topic
    /// the server has seen (put into, reserved from or paused); reserves and pauses may name topics
    /// past it, which then cannot hold jobs. Recovery restores jobs whatever the setting, up to
    /// 65,536 topics (a store holding jobs in more fails the start with a message saying so).
    /// </summary>
    public int MaxTopics { get; init; } = Internal.JobSlot.MaxTopics;

    /// <summary>Longest delay (and furthest run_at) accepted. Default 3650 days.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromDays(3650);

    /// <summary>
    /// Commands applied per drained batch (one store commit). Default 4096: big enough to amortise a
    /// PostgreSQL round trip over thousands of puts, small enough that one batch's undo log stays cheap.
    /// </summary>
    public int MaxCommandsPerBatch { get; init; } = 4096;

    /// <summary>
    /// Commands waiting for the engine loop at most (the bound of its inbound queue). A command
    /// beyond it fails at once with RESOURCE_EXHAUSTED naming this setting instead of queueing
    /// without limit while the loop or the store falls behind. Default 100,000: dozens of full
    /// batches, far more than any healthy backlog. Closing a reservation stream is never refused.
    /// </summary>
    public int MaxQueuedCommands { get; init; } = 100_000;

    /// <summary>
    /// Timers fired per loop turn before commands get a turn again. Default 16,384, so a million jobs
    /// due in the same millisecond cannot stall puts and deletes for long.
    /// </summary>
    public int MaxTimersPerTurn { get; init; } = 16_384;

    /// <summary>
    /// True (default): callers' continuations run on the thread pool, so no caller code ever runs on
    /// the engine thread. False: they run inline on the engine thread, which is faster but only safe
    /// for callers that do little before their next await (benchmarks).
    /// </summary>
    public bool RunContinuationsAsynchronously { get; init; } = true;

    /// <summary>
    /// Bytes of job bodies kept in memory when the store is durable. Past it, bodies of jobs whose
    /// put is committed are dropped from memory (metadata stays) and read back from the store, one
    /// batched read per engine turn, when their jobs are delivered or peeked. Delayed and buried
    /// jobs' bodies go first, then the newest. 0 (the default) keeps every body; a store that is not
    /// durable (memory) always keeps every body. The host sets it from <c>Chronoq:Storage:BodyCacheBytes</c>.
    /// </summary>
    public long BodyCacheBytes { get; init; }

    /// <summary>The version reported by GetServerStats. Default: the Chronoq.Core assembly's informational version.</summary>
    public string? Version { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        Require(MaxJobs > 0, nameof(MaxJobs), "must be positive");
        Require(MaxBodyBytes >= 0, nameof(MaxBodyBytes), "must not be negative");
        Require(MaxKeyLength > 0, nameof(MaxKeyLength), "must be positive");
        Require(MaxBatchItems > 0, nameof(MaxBatchItems), "must be positive");
        Require(MaxPrefetch > 0, nameof(MaxPrefetch), "must be positive");
        Require(MaxTopicsPerReserve > 0, nameof(MaxTopicsPerReserve), "must be positive");
        Require(MaxTopics is > 0 and <= Internal.JobSlot.MaxTopics, nameof(MaxTopics), $"must be between 1 and {Internal.JobSlot.MaxTopics}");
        Require(MaxDelay > TimeSpan.Zero, nameof(MaxDelay), "must be positive");
        Require(MaxCommandsPerBatch > 0, nameof(MaxCommandsPerBatch), "must be positive");
        Require(MaxQueuedCommands > 0, nameof(MaxQueuedCommands), "must be positive");
        Require(MaxTimersPerTurn > 0, nameof(MaxTimersPerTurn), "must be positive");
        Require(BodyCacheBytes >= 0, nameof(BodyCacheBytes), "must not be negative");
    }

    private static void Require(bool ok, string setting, string rule)
    {
        if (!ok)
        {
            throw new ArgumentException($"EngineOptions.{setting} {rule}.", setting);
        }
    }
}
