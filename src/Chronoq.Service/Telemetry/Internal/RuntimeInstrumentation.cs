using System.Diagnostics.Metrics;

namespace Chronoq.Service.Telemetry.Internal;

/// <summary>
/// The .NET runtime's built-in meter (GC, heap, thread pool, JIT, CPU time, working set), which
/// both /metrics and the OTLP export include so operators see the process beside the engine.
/// </summary>
internal static class RuntimeInstrumentation
{
    /// <summary>The meter's name; the runtime creates it as soon as a listener starts.</summary>
    public const string MeterName = "System.Runtime";

    /// <summary>
    /// Whether <paramref name="instrument"/> is one the runtime publishes as an observable counter
    /// although its value falls as well as rises (dotnet/runtime#112077 and #126167; the documented
    /// type is an up-down counter). As a Prometheus counter a fall would read as a reset and the name
    /// would lose its <c>_total</c> once the runtime is fixed, so /metrics writes both as gauges.
    /// </summary>
    public static bool IsGaugePublishedAsCounter(Instrument instrument) =>
        instrument.Meter.Name == MeterName && instrument.Name is "dotnet.thread_pool.queue.length" or "dotnet.thread_pool.thread.count";
}
