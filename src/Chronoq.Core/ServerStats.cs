namespace Chronoq.Core;

/// <summary>Server-wide counters (chronoq.v1.ServerStats).</summary>
public sealed record ServerStats
{
    public required string Version { get; init; }

    /// <summary>The store's kind: "memory" or "postgres".</summary>
    public required string Storage { get; init; }
    public TimeSpan Uptime { get; init; }
    public ulong Ready { get; init; }
    public ulong Delayed { get; init; }
    public ulong Reserved { get; init; }
    public ulong Buried { get; init; }
    public ulong Topics { get; init; }
    public ulong TotalPuts { get; init; }
    public ulong TotalDeletes { get; init; }
    public ulong TotalTimeouts { get; init; }
}
