namespace Chronoq.Service.Telemetry.Internal;

/// <summary>One instrument's series at collection time, with the OpenTelemetry name and unit it was created with.</summary>
internal sealed record MetricFamily(string Name, string? Unit, string? Description, MetricKind Kind, IReadOnlyList<MetricPoint> Points);
