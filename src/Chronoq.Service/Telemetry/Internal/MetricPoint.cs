namespace Chronoq.Service.Telemetry.Internal;

/// <summary>
/// One series of a metric at collection time: its labels (in a stable order) and either a value or,
/// for a histogram, per-bucket counts over <see cref="Bounds"/> (not cumulative; the last count is
/// the overflow bucket above the last bound) with their sum.
/// </summary>
internal sealed record MetricPoint(
    IReadOnlyList<KeyValuePair<string, string>> Labels,
    double Value,
    IReadOnlyList<double>? Bounds = null,
    IReadOnlyList<long>? BucketCounts = null,
    double Sum = 0,
    long Count = 0);
