namespace Chronoq.Service.Telemetry.Internal;

/// <summary>The Prometheus metric types the exposition uses.</summary>
internal enum MetricKind
{
    /// <summary>A monotonic total (Counter, ObservableCounter).</summary>
    Counter,

    /// <summary>A value that goes up and down (gauges, up-down counters).</summary>
    Gauge,

    /// <summary>A distribution over explicit buckets.</summary>
    Histogram,
}
