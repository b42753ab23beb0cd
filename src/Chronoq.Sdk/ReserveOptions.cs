namespace Chronoq.Sdk;

/// <summary>How a Reserve stream is opened. Immutable; <see cref="Default"/> reserves one job at a time.</summary>
public sealed record ReserveOptions
{
    /// <summary>One job at a time, no automatic touch.</summary>
    public static ReserveOptions Default { get; } = new();

    /// <summary>The most jobs reserved through the stream at once (the server frees a slot on delete, release, bury or TTR timeout). Default 1.</summary>
    public int Prefetch { get; init; } = 1;

    /// <summary>
    /// Whether the client touches every job it holds through the stream when the server warns
    /// that its TTR is about to run out (<c>deadline_soon</c>), so a slow handler keeps its job.
    /// The warning is read in the background, whatever pace the consumer reads jobs at.
    /// Default false: a job whose handler overruns its TTR goes back to READY, beanstalkd's rule.
    /// </summary>
    public bool AutoTouch { get; init; }
}
