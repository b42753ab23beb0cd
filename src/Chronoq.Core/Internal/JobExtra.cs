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
    public long DeadlineMs;
    public StreamWaiter? Holder;
    public bool DeadlineSoonSent;
    /// <summary>The job's slab index: the extra's index numbers the job's TTR timer, which finds the job through it.</summary>
    public int Slot;
    /// <summary>Free-list link while the extra is unused.</summary>
    public int NextFree;
}
