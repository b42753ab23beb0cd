namespace Chronoq.Sdk;

/// <summary>
/// Settings of a hosted worker. Immutable: derive variants with <c>with</c> from
/// <see cref="Default"/>. Validated when the worker is registered.
/// </summary>
public sealed record ChronoqWorkerOptions
{
    /// <summary>The defaults described on each property.</summary>
    public static ChronoqWorkerOptions Default { get; } = new();

    /// <summary>How many jobs are handled at once. Default 4: handlers are usually I/O-bound, and more is one setting away.</summary>
    public int Concurrency { get; init; } = 4;

    /// <summary>
    /// How many jobs the worker holds reserved at once, handled or waiting for a free handler.
    /// Null (the default) means twice <see cref="Concurrency"/>: a job waits behind each running
    /// one, hiding the round trip between an acknowledgement and the next delivery.
    /// </summary>
    public int? Prefetch { get; init; }

    /// <summary>
    /// How many deliveries a job gets in all (counted by the server's <c>reserves</c>, so it
    /// holds across workers and restarts); when the last fails the job is buried. Default 5.
    /// </summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>The backoff ceiling after the first failure; it doubles per attempt, with jitter between half and all of it. Default 1 s.</summary>
    public TimeSpan RetryInitialDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The largest backoff between two attempts. Default 5 minutes.</summary>
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Whether the worker touches a job whose TTR is about to run out (on the server's
    /// <c>deadline_soon</c>), so a handler slower than the TTR keeps its job. Default true.
    /// </summary>
    public bool AutoTouch { get; init; } = true;

    /// <summary>
    /// How long stopping waits for running handlers to finish; then their cancellation token
    /// fires. Once the handlers are done (or abandoned) the worker closes its Reserve stream, and
    /// the server returns every job it still held — prefetched but never started, or abandoned —
    /// to READY at once. Default 30 s, the host's own default shutdown budget.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The first reconnect backoff when the Reserve stream fails (server restarting, network down). Default 200 ms.</summary>
    public TimeSpan ReconnectInitialBackoff { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The largest reconnect backoff. Default 10 s.</summary>
    public TimeSpan ReconnectMaxBackoff { get; init; } = TimeSpan.FromSeconds(10);

    internal int EffectivePrefetch => Prefetch ?? (2 * Concurrency);

    internal void Validate()
    {
        Require(Concurrency >= 1, nameof(Concurrency), Concurrency, "at least 1");
        Require(Prefetch is null || Prefetch >= 1, nameof(Prefetch), Prefetch!, "null or at least 1");
        Require(MaxAttempts >= 1, nameof(MaxAttempts), MaxAttempts, "at least 1");
        Require(RetryInitialDelay >= TimeSpan.Zero, nameof(RetryInitialDelay), RetryInitialDelay, "zero or positive");
        Require(RetryMaxDelay >= RetryInitialDelay, nameof(RetryMaxDelay), RetryMaxDelay, "at least RetryInitialDelay");
        Require(ShutdownTimeout >= TimeSpan.Zero, nameof(ShutdownTimeout), ShutdownTimeout, "zero or positive");
        Require(ReconnectInitialBackoff > TimeSpan.Zero, nameof(ReconnectInitialBackoff), ReconnectInitialBackoff, "positive");
        Require(ReconnectMaxBackoff >= ReconnectInitialBackoff, nameof(ReconnectMaxBackoff), ReconnectMaxBackoff, "at least ReconnectInitialBackoff");
    }

    private static void Require(bool condition, string setting, object value, string expectation)
    {
        if (!condition)
        {
            throw new ArgumentException($"ChronoqWorkerOptions.{setting} must be {expectation}, not {value ?? "null"}.", setting);
        }
    }
}
