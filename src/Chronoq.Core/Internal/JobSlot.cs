namespace Chronoq.Core.Internal;

/// <summary>
/// The hot part of a job, one per slab index. Kept small (40 bytes) because a delayed job holds
/// nothing else but its timer node, body reference and id-index entry; rarely used fields live in
/// <see cref="JobExtra"/>, allocated from a second slab only when needed. The ready-at time is not
/// here: it lives in the job's timer node, whose expiration equals it while the job is delayed and
/// which is otherwise idle, except while reserved, when it lives in the extra
/// (see <see cref="JobTable.ReadyAtMs"/>).
/// </summary>
internal struct JobSlot
{
    public ulong Id;
    public long CreatedAtMs;
    public uint Priority;
    public int TtrMs;
    public int Topic;
    /// <summary>Position in the topic's ready, delayed or buried heap; -1 when in none.</summary>
    public int HeapIndex;
    /// <summary>Index into the extras slab, or -1.</summary>
    public int Extra;
    public JobState State;
    /// <summary>Deleted in the current batch: unreachable, but the slot is freed only after commit.</summary>
    public bool PendingFree;
}
