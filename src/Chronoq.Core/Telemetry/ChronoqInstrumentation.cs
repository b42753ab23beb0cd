using System.Diagnostics;
using System.Reflection;

namespace Chronoq.Core.Telemetry;

/// <summary>
/// The names under which Chronoq publishes its telemetry, through the BCL's
/// <see cref="System.Diagnostics.Metrics.Meter"/> and <see cref="System.Diagnostics.ActivitySource"/>
/// only, so any listener (the OpenTelemetry SDK, the service's /metrics endpoint, dotnet-counters)
/// can subscribe without Core depending on it.
/// </summary>
public static class ChronoqInstrumentation
{
    /// <summary>The meter holding every engine instrument (see <see cref="EngineMetrics"/>).</summary>
    public const string MeterName = "Chronoq";

    /// <summary>The activity source of Chronoq's spans: one per RPC and one per storage commit.</summary>
    public const string ActivitySourceName = "Chronoq";

    /// <summary>The version the meter and activity source report: the Chronoq.Core assembly's.</summary>
    public static string Version { get; } =
        typeof(ChronoqInstrumentation).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? "0.0.0";

    /// <summary>The one activity source; starting an activity costs nothing while no listener samples it.</summary>
    public static ActivitySource ActivitySource { get; } = new(ActivitySourceName, Version);
}
