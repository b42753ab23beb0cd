using Wire = Chronoq.Protocol.V1;

namespace Chronoq.Service.Api.Internal;

/// <summary>Counters between the engine's domain types and the wire (chronoq.v1).</summary>
internal static class StatsMessages
{
    /// <summary>The wire form of a topic's counters.</summary>
    public static Wire.TopicStats ToTopicStats(Chronoq.Core.TopicStats stats) => new()
    {
        Name = stats.Name,
        Ready = stats.Ready,
        Delayed = stats.Delayed,
        Reserved = stats.Reserved,
        Buried = stats.Buried,
        Waiting = stats.Waiting,
        TotalPuts = stats.TotalPuts,
        TotalDeletes = stats.TotalDeletes,
        TotalTimeouts = stats.TotalTimeouts,
        PauseRemaining = WireTime.ToDuration(stats.PauseRemaining),
    };

    /// <summary>The wire form of the server's counters.</summary>
    public static Wire.ServerStats ToServerStats(Chronoq.Core.ServerStats stats) => new()
    {
        Version = stats.Version,
        Storage = stats.Storage,
        Uptime = WireTime.ToDuration(stats.Uptime),
        Ready = stats.Ready,
        Delayed = stats.Delayed,
        Reserved = stats.Reserved,
        Buried = stats.Buried,
        Topics = stats.Topics,
        TotalPuts = stats.TotalPuts,
        TotalDeletes = stats.TotalDeletes,
        TotalTimeouts = stats.TotalTimeouts,
    };
}
