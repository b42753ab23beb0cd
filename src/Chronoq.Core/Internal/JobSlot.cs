namespace Chronoq.Core.Internal;

/// <summary>
/// The hot part of a job, one per slab index. Kept at 32 bytes because a delayed job holds
/// nothing else but its ready-at time, body reference, delayed-heap entry and id-index entry
/// (about 56 bytes in all); rarely used fields live in <see cref="JobExtra"/>, allocated from a
/// second slab only when needed. Created-at, topic, state and the pending-free flag share one
/// 64-bit word (see <see cref="MaxTopics"/> and <see cref="MaxCreatedAtMs"/> for what that costs).
/// </summary>
internal struct JobSlot
{
    // The packed word, from the top: created-at (44 bits of Unix ms), topic index (16 bits),
    // state (3 bits), pending free (1 bit).
    private const int CreatedAtShift = 20;
    private const int TopicShift = 4;
    private const int TopicBits = 16;
    private const int StateShift = 1;
    private const ulong StateMask = 0b111;
    private const ulong PendingFreeBit = 1;

    /// <summary>Topics a job can name: the topic index has 16 bits in the packed word.</summary>
    public const int MaxTopics = 1 << TopicBits;

    /// <summary>
    /// The latest created-at time the packed word holds (44 bits of Unix ms: 2527-06-23); times
    /// before 1970 or after it are clamped into the range.
    /// </summary>
    public const long MaxCreatedAtMs = (1L << (64 - CreatedAtShift)) - 1;

    public ulong Id;
    private ulong _packed;
    public uint Priority;
    public int TtrMs;
    /// <summary>Position in the topic's ready, delayed or buried heap; -1 when in none.</summary>
    public int HeapIndex;
    /// <summary>Index into the extras slab, or -1.</summary>
    public int Extra;

    /// <summary>When the job was put, Unix ms, within [0, <see cref="MaxCreatedAtMs"/>].</summary>
    public long CreatedAtMs
    {
        readonly get => (long)(_packed >> CreatedAtShift);
        set => _packed = (_packed & ((1UL << CreatedAtShift) - 1)) | ((ulong)Math.Clamp(value, 0, MaxCreatedAtMs) << CreatedAtShift);
    }

    /// <summary>The topic's index, below <see cref="MaxTopics"/> (the engine refuses a put into a topic past it).</summary>
    public int Topic
    {
        readonly get => (int)(_packed >> TopicShift) & (MaxTopics - 1);
        set
        {
            if ((uint)value >= MaxTopics)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, $"a job's topic index must be below {MaxTopics}");
            }

            _packed = (_packed & ~((ulong)(MaxTopics - 1) << TopicShift)) | ((ulong)value << TopicShift);
        }
    }

    public JobState State
    {
        readonly get => (JobState)((_packed >> StateShift) & StateMask);
        set => _packed = (_packed & ~(StateMask << StateShift)) | (((ulong)value & StateMask) << StateShift);
    }

    /// <summary>Deleted in the current batch: unreachable, but the slot is freed only after commit.</summary>
    public bool PendingFree
    {
        readonly get => (_packed & PendingFreeBit) != 0;
        set => _packed = value ? _packed | PendingFreeBit : _packed & ~PendingFreeBit;
    }
}
