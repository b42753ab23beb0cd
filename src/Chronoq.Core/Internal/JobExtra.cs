namespace Chronoq.Core.Internal;

/// <summary>
/// The cold part of a job: key, headers, counters and the current reservation. Allocated from the
/// extras slab when a job first needs one (a key, headers, its first reserve or bury).
/// </summary>
internal struct JobExtra
{
    public string? Key;
    public IReadOnlyDictionary<string, string>? Headers;
    public uint Reserves;
    public uint Timeouts;
    public uint Releases;
    public uint Buries;
    public uint Kicks;
    public long BuriedAtMs;
    /// <summary>Orders the buried heap: oldest buried first, ties by bury order.</summary>
    public long BurySeq;
    public ulong Token;
    /// <summary>The job's ready-at time while it is reserved (its timer node then runs the TTR).</summary>
    public long ReadyAtMs;
    public long DeadlineMs;
    public StreamWaiter? Holder;
    public bool DeadlineSoonSent;
    /// <summary>Free-list link while the extra is unused.</summary>
    public int NextFree;
}
