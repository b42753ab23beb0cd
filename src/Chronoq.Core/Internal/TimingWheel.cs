namespace Chronoq.Core.Internal;

/// <summary>
/// A hashed hierarchical timing wheel in the manner of Kafka's TimingWheel: tick 1 ms, buckets as
/// intrusive circular lists of <see cref="TimerNode"/>, overflow levels created on first use, and a
/// priority queue of non-empty buckets so an idle wheel never spins. Node ids &gt;= 0 are jobs' TTR
/// timers, numbered by the job's extra (<see cref="EnsureJobCapacity"/>); ids &lt; 0 are auxiliary
/// nodes (topics' delays and pauses, reserve timeouts, bucket heads) from <see cref="AllocateAux"/>.
/// Not thread-safe: the engine loop owns it.
/// </summary>
internal sealed class TimingWheel
{
    /// <summary>The link value of a node that is in no list.</summary>
    public const int Unlinked = int.MinValue;

    // 512 slots per level: levels span 512 ms, 4.4 min, 37 h and 2.2 years, so four levels
    // cover every delay users ask for while a level's bucket array stays small (12 KB).
    public const int DefaultWheelSize = 512;

    // The size is a power of two so bucket arithmetic is shifts and masks: a level's tick is
    // 1 << (level * _bits) ms. 64-bit divisions on every schedule and cascade cost more than the
    // list links themselves.
    private readonly int _wheelSize;
    private readonly int _bits;
    private readonly long _mask;
    private int _levels;
    private long[] _levelCurrent = new long[4];
    private int[] _bucketHead = Array.Empty<int>();
    private long[] _bucketExpiration = Array.Empty<long>();
    private readonly PriorityQueue<int, long> _buckets = new();
    private readonly int _dueHead;
    private TimerNode[] _jobNodes;
    private TimerNode[] _auxNodes = new TimerNode[64];
    private int _auxCount;
    private int _auxFree = Unlinked;

    public TimingWheel(long startMs, int wheelSize = DefaultWheelSize, int jobCapacity = 16)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(wheelSize, 2);
        if (!int.IsPow2(wheelSize))
        {
            throw new ArgumentOutOfRangeException(nameof(wheelSize), wheelSize, "must be a power of two");
        }

        _wheelSize = wheelSize;
        _bits = int.Log2(wheelSize);
        _mask = wheelSize - 1;
        _jobNodes = new TimerNode[Math.Max(jobCapacity, 1)];
        UnlinkJobNodesFrom(0);

        _dueHead = AllocateHead();
        AddLevel(startMs);
    }

    /// <summary>Timers currently scheduled (in buckets or due).</summary>
    public int Count { get; private set; }

    /// <summary>The wheel's clock: the latest time passed to <see cref="Advance"/>.</summary>
    public long CurrentMs => _levelCurrent[0];

    /// <summary>Grows the job nodes so ids below <paramref name="capacity"/> are valid.</summary>
    public void EnsureJobCapacity(int capacity)
    {
        if (capacity <= _jobNodes.Length)
        {
            return;
        }

        var old = _jobNodes.Length;
        Array.Resize(ref _jobNodes, Math.Max(capacity, old * 2));
        UnlinkJobNodesFrom(old);
    }

    private void UnlinkJobNodesFrom(int first)
    {
        for (var i = first; i < _jobNodes.Length; i++)
        {
            _jobNodes[i].Next = Unlinked;
            _jobNodes[i].Prev = Unlinked;
        }
    }

    /// <summary>Allocates an auxiliary timer node (a negative id).</summary>
    public int AllocateAux()
    {
        int index;
        if (_auxFree != Unlinked)
        {
            index = _auxFree;
            _auxFree = _auxNodes[index].Next;
        }
        else
        {
            if (_auxCount == _auxNodes.Length)
            {
                Array.Resize(ref _auxNodes, _auxCount * 2);
            }

            index = _auxCount++;
        }

        _auxNodes[index] = new TimerNode { Next = Unlinked, Prev = Unlinked };
        return ~index;
    }

    /// <summary>Cancels and returns an auxiliary node for reuse.</summary>
    public void FreeAux(int id)
    {
        Cancel(id);
        var index = ~id;
        _auxNodes[index].Next = _auxFree;
        _auxNodes[index].Prev = Unlinked;
        _auxFree = index;
    }

    /// <summary>True when the node is in a bucket or due.</summary>
    public bool IsScheduled(int id) => Node(id).Prev != Unlinked;

    /// <summary>The expiration the node was last scheduled for.</summary>
    public long ExpirationOf(int id) => Node(id).Expiration;

    /// <summary>
    /// Schedules (or re-schedules) a node. A time at or before the wheel's clock is due at once and
    /// comes out of <see cref="TryTakeDue"/> after the next <see cref="Advance"/>.
    /// </summary>
    public void Schedule(int id, long expirationMs)
    {
        ref var node = ref Node(id);
        if (node.Prev != Unlinked)
        {
            Unlink(id);
        }
        else
        {
            Count++;
        }

        node.Expiration = expirationMs;
        Insert(id, expirationMs);
    }

    /// <summary>Removes a node from the wheel in O(1); false when it was not scheduled.</summary>
    public bool Cancel(int id)
    {
        if (Node(id).Prev == Unlinked)
        {
            return false;
        }

        Unlink(id);
        Count--;
        return true;
    }

    /// <summary>
    /// The time of the earliest non-empty bucket (or the clock when timers are due), or null when
    /// nothing is scheduled: the engine arms its one timer for it.
    /// </summary>
    public long? NextExpiration()
    {
        if (Node(_dueHead).Next != _dueHead)
        {
            return CurrentMs;
        }

        while (_buckets.TryPeek(out var bucket, out var expiration))
        {
            if (_bucketExpiration[bucket] == expiration)
            {
                return expiration;
            }

            _buckets.Dequeue();
        }

        return null;
    }

    /// <summary>
    /// Moves the clock to <paramref name="nowMs"/>: every bucket that expired is flushed, its timers
    /// cascade down a level or become due. Due timers are then taken with <see cref="TryTakeDue"/>.
    /// </summary>
    public void Advance(long nowMs)
    {
        while (_buckets.TryPeek(out var bucket, out var expiration) && expiration <= nowMs)
        {
            _buckets.Dequeue();
            if (_bucketExpiration[bucket] != expiration)
            {
                continue; // stale entry: the bucket was flushed and reused since
            }

            AdvanceClock(expiration);
            _bucketExpiration[bucket] = -1;
            var head = _bucketHead[bucket];
            ref var h = ref Node(head);
            var first = h.Next;
            if (first == head)
            {
                continue; // every timer of the bucket was cancelled
            }

            if (bucket < _wheelSize)
            {
                // A level-0 bucket holds one millisecond, now expired: all its timers are due, in
                // list order. Splice the whole list onto the due list instead of moving them one by one.
                var last = h.Prev;
                h.Next = head;
                h.Prev = head;
                ref var due = ref Node(_dueHead);
                var dueTail = due.Prev;
                Node(dueTail).Next = first;
                Node(first).Prev = dueTail;
                Node(last).Next = _dueHead;
                due.Prev = last;
                continue;
            }

            // A higher level: cascade each timer down. The list is taken whole, so the nodes need no
            // unlinking from each other; Insert relinks each one.
            h.Next = head;
            h.Prev = head;
            var id = first;
            while (id != head)
            {
                ref var node = ref Node(id);
                var next = node.Next;
                Insert(id, node.Expiration);
                id = next;
            }
        }

        AdvanceClock(nowMs);
    }

    /// <summary>Takes one due timer, oldest first; false when none is due.</summary>
    public bool TryTakeDue(out int id)
    {
        id = Node(_dueHead).Next;
        if (id == _dueHead)
        {
            return false;
        }

        Unlink(id);
        Count--;
        return true;
    }

    private ref TimerNode Node(int id) => ref id >= 0 ? ref _jobNodes[id] : ref _auxNodes[~id];

    private void Insert(int id, long expiration)
    {
        if (expiration < _levelCurrent[0] + 1)
        {
            LinkBefore(_dueHead, id);
            return;
        }

        for (var level = 0; ; level++)
        {
            if (level == _levels)
            {
                AddLevel(_levelCurrent[level - 1]);
            }

            var shift = level * _bits;
            if (expiration < _levelCurrent[level] + (1L << (shift + _bits)))
            {
                var virtualId = expiration >> shift;
                var bucket = (level << _bits) + (int)(virtualId & _mask);
                LinkBefore(_bucketHead[bucket], id);
                var bucketExpiration = virtualId << shift;
                if (_bucketExpiration[bucket] != bucketExpiration)
                {
                    _bucketExpiration[bucket] = bucketExpiration;
                    _buckets.Enqueue(bucket, bucketExpiration);
                }

                return;
            }
        }
    }

    private void AdvanceClock(long timeMs)
    {
        for (var level = 0; level < _levels; level++)
        {
            var tick = 1L << (level * _bits);
            if (timeMs >= _levelCurrent[level] + tick)
            {
                _levelCurrent[level] = timeMs & -tick; // round down to the tick (times are never negative)
            }
        }
    }

    private void AddLevel(long startMs)
    {
        var level = _levels;
        if (level == _levelCurrent.Length)
        {
            Array.Resize(ref _levelCurrent, level * 2);
        }

        var tick = 1L << (level * _bits);
        _levelCurrent[level] = startMs & -tick;
        var first = _bucketHead.Length;
        Array.Resize(ref _bucketHead, first + _wheelSize);
        Array.Resize(ref _bucketExpiration, first + _wheelSize);
        for (var i = first; i < _bucketHead.Length; i++)
        {
            _bucketHead[i] = AllocateHead();
            _bucketExpiration[i] = -1;
        }

        _levels++;
    }

    private int AllocateHead()
    {
        var id = AllocateAux();
        ref var head = ref Node(id);
        head.Next = id;
        head.Prev = id;
        return id;
    }

    private void LinkBefore(int head, int id)
    {
        ref var h = ref Node(head);
        var tail = h.Prev;
        ref var node = ref Node(id);
        node.Next = head;
        node.Prev = tail;
        Node(tail).Next = id;
        h.Prev = id;
    }

    private void Unlink(int id)
    {
        ref var node = ref Node(id);
        Node(node.Prev).Next = node.Next;
        Node(node.Next).Prev = node.Prev;
        node.Next = Unlinked;
        node.Prev = Unlinked;
    }
}
