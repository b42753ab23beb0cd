namespace Chronoq.Operations.Tests.Telemetry;

/// <summary>
/// Tests that read or move process-wide telemetry (the Chronoq meter's totals and gauges, activity
/// listeners): run alone, so no other test's jobs show up in their numbers.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideTelemetryCollection
{
    public const string Name = "process-wide telemetry";
}
