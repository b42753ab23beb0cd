namespace Chronoq.Service.Telemetry;

/// <summary>
/// Operational settings, bound from the configuration section <c>Chronoq</c> beside
/// <see cref="ChronoqOptions"/> (environment: <c>Chronoq__ShutdownTimeout</c>). Validated at start-up.
/// </summary>
public sealed class ChronoqOperationsOptions
{
    /// <summary>The configuration section the options bind from.</summary>
    public const string SectionName = "Chronoq";

    /// <summary>The longest an accepted shutdown may take; one hour means the process is stuck, not draining.</summary>
    public static readonly TimeSpan MaxShutdownTimeout = TimeSpan.FromHours(1);

    /// <summary>
    /// How long a graceful shutdown (SIGTERM) waits for open calls and the engine to drain before the
    /// host aborts what is left; it becomes <c>HostOptions.ShutdownTimeout</c>. Default 25 s, under
    /// Kubernetes' default 30 s grace period so the process exits before it is killed.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(25);
}
