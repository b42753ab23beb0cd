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
        switch (_order)
        {
            case HeapOrder.Urgency:
                SiftUp<ByUrgency>(i);
                break;
            case HeapOrder.ReadyAt:
                SiftUp<ByReadyAt>(i);
                break;
            default:
                SiftUp<ByBuryOrder>(i);
                break;
        }
    }

    public void Remove(int slot)
    {
        switch (_order)
        {
            case HeapOrder.Urgency:
                Remove<ByUrgency>(slot);
                break;
            case HeapOrder.ReadyAt:
                Remove<ByReadyAt>(slot);
                break;
            default:
                Remove<ByBuryOrder>(slot);
                break;
        }
    }

    // The order is a type argument so each heap's comparisons compile to straight-line code,
    // without a switch on the order inside the sift loops.
    private void Remove<TOrder>(int slot)
        where TOrder : struct, IOrder
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
        if (i > 0 && TOrder.Less(_table, last, _items[(i - 1) / Arity]))
        {
            SiftUp<TOrder>(i);
        }
        else
        {
            SiftDown<TOrder>(i);
        }
    }

    private void SiftUp<TOrder>(int i)
        where TOrder : struct, IOrder
    {
        var items = _items;
        var table = _table;
        var slots = table.Slots;
        var item = items[i];
        while (i > 0)
        {
            var parent = (i - 1) / Arity;
            var p = items[parent];
            if (!TOrder.Less(table, item, p))
            {
                break;
            }

            items[i] = p;
            slots[p].HeapIndex = i;
            i = parent;
        }

        items[i] = item;
        slots[item].HeapIndex = i;
    }

    private void SiftDown<TOrder>(int i)
        where TOrder : struct, IOrder
    {
        var items = _items;
        var table = _table;
        var slots = table.Slots;
        var count = Count;
        var item = items[i];
        while (true)
        {
            var first = (i * Arity) + 1;
            if (first >= count)
            {
                break;
            }

            var best = first;
            var bestSlot = items[first];
            var end = Math.Min(first + Arity, count);
            for (var c = first + 1; c < end; c++)
            {
                var candidate = items[c];
                if (TOrder.Less(table, candidate, bestSlot))
                {
                    best = c;
                    bestSlot = candidate;
                }
            }

            if (!TOrder.Less(table, bestSlot, item))
            {
                break;
            }

            items[i] = bestSlot;
            slots[bestSlot].HeapIndex = i;
            i = best;
        }

        items[i] = item;
        slots[item].HeapIndex = i;
    }

    private interface IOrder
    {
        static abstract bool Less(JobTable table, int a, int b);
    }

    private struct ByUrgency : IOrder
    {
        public static bool Less(JobTable table, int a, int b)
        {
            ref var x = ref table.Slots[a];
            ref var y = ref table.Slots[b];
            return x.Priority != y.Priority ? x.Priority < y.Priority : x.Id < y.Id;
        }
    }

    private struct ByReadyAt : IOrder
    {
        public static bool Less(JobTable table, int a, int b)
        {
            var readyAtA = table.ReadyAtMs(a);
            var readyAtB = table.ReadyAtMs(b);
            return readyAtA != readyAtB ? readyAtA < readyAtB : table.Slots[a].Id < table.Slots[b].Id;
        }
    }

    private struct ByBuryOrder : IOrder
    {
        public static bool Less(JobTable table, int a, int b) =>
            table.Extras[table.Slots[a].Extra].BurySeq < table.Extras[table.Slots[b].Extra].BurySeq;
    }
}
