namespace Chronoq.Core.Internal;

/// <summary>
/// A 4-ary min-heap of job slab indexes; each job records its position in
/// <see cref="JobSlot.HeapIndex"/> so removal from the middle is O(log n). Four children per node
/// halve the depth of a binary heap and keep siblings in one cache line.
/// </summary>
internal sealed class JobHeap
{
    private const int Arity = 4;
    private readonly JobTable _table;
    private readonly HeapOrder _order;
    private int[] _items = new int[8];

    public JobHeap(JobTable table, HeapOrder order)
    {
        _table = table;
        _order = order;
    }

    public int Count { get; private set; }

    /// <summary>The most urgent job, or -1 when empty.</summary>
    public int Peek() => Count == 0 ? -1 : _items[0];

    /// <summary>The job at a heap position (for ordered walks in tests and recovery).</summary>
    public int this[int position] => _items[position];

    public void Push(int slot)
    {
        if (Count == _items.Length)
        {
            // Past 64 K entries the heap grows by an eighth, not double: a topic's delayed heap
            // may hold millions of jobs, and doubling would leave up to 4 bytes a job unused.
            var size = _items.Length < 65_536 ? _items.Length * 2 : _items.Length + (_items.Length / 8);
            Array.Resize(ref _items, size);
        }

        var i = Count++;
        _items[i] = slot;
        _table.Slots[slot].HeapIndex = i;
        SiftUp(i);
    }

    public void Remove(int slot)
    {
        ref var job = ref _table.Slots[slot];
        var i = job.HeapIndex;
        job.HeapIndex = -1;
        var last = _items[--Count];
        if (i == Count)
        {
            return;
        }

        _items[i] = last;
        _table.Slots[last].HeapIndex = i;
        if (i > 0 && Less(last, _items[(i - 1) / Arity]))
        {
            SiftUp(i);
        }
        else
        {
            SiftDown(i);
        }
    }

    private bool Less(int a, int b)
    {
        var slots = _table.Slots;
        ref var x = ref slots[a];
        ref var y = ref slots[b];
        switch (_order)
        {
            case HeapOrder.Urgency:
                return x.Priority != y.Priority ? x.Priority < y.Priority : x.Id < y.Id;
            case HeapOrder.ReadyAt:
                var readyAtX = _table.ReadyAtMs(a);
                var readyAtY = _table.ReadyAtMs(b);
                return readyAtX != readyAtY ? readyAtX < readyAtY : x.Id < y.Id;
            default:
                return _table.Extras[x.Extra].BurySeq < _table.Extras[y.Extra].BurySeq;
        }
    }

    private void SiftUp(int i)
    {
        var item = _items[i];
        while (i > 0)
        {
            var parent = (i - 1) / Arity;
            var p = _items[parent];
            if (!Less(item, p))
            {
                break;
            }

            _items[i] = p;
            _table.Slots[p].HeapIndex = i;
            i = parent;
        }

        _items[i] = item;
        _table.Slots[item].HeapIndex = i;
    }

    private void SiftDown(int i)
    {
        var item = _items[i];
        while (true)
        {
            var first = (i * Arity) + 1;
            if (first >= Count)
            {
                break;
            }

            var best = first;
            var end = Math.Min(first + Arity, Count);
            for (var c = first + 1; c < end; c++)
            {
                if (Less(_items[c], _items[best]))
                {
                    best = c;
                }
            }

            var b = _items[best];
            if (!Less(b, item))
            {
                break;
            }

            _items[i] = b;
            _table.Slots[b].HeapIndex = i;
            i = best;
        }

        _items[i] = item;
        _table.Slots[item].HeapIndex = i;
    }
}
