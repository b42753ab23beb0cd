namespace Chronoq.Core.Internal;

/// <summary>What a <see cref="JobHeap"/> orders by.</summary>
internal enum HeapOrder : byte
{
    /// <summary>Ready jobs: lowest priority value, then lowest id.</summary>
    Urgency,

    /// <summary>Delayed jobs: soonest ready-at, then lowest id.</summary>
    ReadyAt,

    /// <summary>Buried jobs: oldest buried first.</summary>
    BuryOrder,
}
