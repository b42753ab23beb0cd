namespace Chronoq.Core.Internal;

/// <summary>
/// The slab of jobs: structs addressed by int index with a free list, a second slab for
/// <see cref="JobExtra"/>, side arrays for bodies and ready-at times, and the id index
/// (<see cref="IdIndex"/>). Millions of jobs carry little unused capacity: the side arrays grow
/// in fixed chunks (<see cref="ChunkedArray{T}"/>), and the slots, the hottest array, stay one
/// array (a chunk table would add a load to every access of the engine's cycle) that grows by an
/// eighth past a million. A job has no timer node of its own: its extra's index numbers its TTR timer in the
/// wheel (every reserved job has an extra), and delays run from the topics' delayed heaps.
/// </summary>
internal sealed class JobTable
{
    private const int None = -1;

    // Marks a body dropped from memory (the store has it; read it back before handing the job out).
    // A private array, so no body a caller put can ever be mistaken for it; one byte long because a
    // zero-length allocation is flagged by the analyzers and Body() never hands it out anyway.
    private static readonly byte[] DroppedBody = new byte[1];

    private readonly TimingWheel _wheel;
    private int _slotCount;
    private int _freeSlot = None;
    private int _extraCount;
    private int _freeExtra = None;
    private readonly IdIndex _index = new();

    public JobTable(TimingWheel wheel, int capacity = 16)
    {
        _wheel = wheel;
        Slots = new JobSlot[Math.Max(capacity, 16)];
        Bodies = new ChunkedArray<byte[]?>(Slots.Length);
        _readyAt = new ChunkedArray<long>(Slots.Length);
        Extras = new JobExtra[16];
        _wheel.EnsureJobCapacity(Extras.Length);
    }

    private readonly ChunkedArray<long> _readyAt;

    public JobSlot[] Slots;

    /// <summary>
    /// Bodies as whole arrays (8 bytes a job instead of 16 for a ReadOnlyMemory): protobuf hands
    /// every bytes field over as an exact-size array, so only a sliced body is ever copied.
    /// </summary>
    public ChunkedArray<byte[]?> Bodies { get; }
    public JobExtra[] Extras;

    /// <summary>Live (and pending-free) jobs.</summary>
    public int Count { get; private set; }

    /// <summary>Bytes of the bodies held in memory (dropped ones not counted).</summary>
    public long BodyBytes { get; private set; }

    /// <summary>Allocates a slot for <paramref name="id"/> and indexes it.</summary>
    public int Allocate(ulong id)
    {
        int slot;
        if (_freeSlot != None)
        {
            slot = _freeSlot;
            _freeSlot = Slots[slot].HeapIndex;
        }
        else
        {
            if (_slotCount == Slots.Length)
            {
                // Doubling up to 1 M slots, then an eighth at a time: at most 4 bytes a job unused.
                var size = Slots.Length < (1 << 20) ? Slots.Length * 2 : Slots.Length + (Slots.Length / 8);
                Array.Resize(ref Slots, size);
                Bodies.EnsureCapacity(size);
                _readyAt.EnsureCapacity(size);
            }

            slot = _slotCount++;
        }

        Slots[slot] = new JobSlot { Id = id, HeapIndex = None, Extra = None };
        Count++;
        IndexAdd(slot);
        return slot;
    }

    /// <summary>Returns a slot (and its extra) to the free lists; the job must be unlinked everywhere.</summary>
    public void Free(int slot)
    {
        ref var job = ref Slots[slot];
        if (job.Extra != None)
        {
            FreeExtra(job.Extra);
        }

        job = new JobSlot { HeapIndex = _freeSlot, Extra = None };
        ForgetBody(slot);
        Bodies[slot] = null;
        _freeSlot = slot;
        Count--;
    }

    /// <summary>Keeps a job's body, copying it only when it is a slice of a larger array.</summary>
    public void SetBody(int slot, ReadOnlyMemory<byte> body)
    {
        ForgetBody(slot);
        BodyBytes += body.Length;
        if (body.IsEmpty)
        {
            Bodies[slot] = null;
        }
        else if (System.Runtime.InteropServices.MemoryMarshal.TryGetArray(body, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length)
        {
            Bodies[slot] = segment.Array;
        }
        else
        {
            Bodies[slot] = body.ToArray();
        }
    }

    /// <summary>The job's body; empty when it was dropped (see <see cref="IsBodyDropped"/>).</summary>
    public ReadOnlyMemory<byte> Body(int slot) => IsBodyDropped(slot) ? ReadOnlyMemory<byte>.Empty : Bodies[slot];

    /// <summary>True when the body is only in the store and must be read back before the job is handed out.</summary>
    public bool IsBodyDropped(int slot) => ReferenceEquals(Bodies[slot], DroppedBody);

    /// <summary>True when a non-empty body is held in memory (so dropping it would free something).</summary>
    public bool HoldsBody(int slot) => Bodies[slot] is { } body && !ReferenceEquals(body, DroppedBody);

    /// <summary>Drops the body from memory; the store must hold it (its put committed).</summary>
    public void DropBody(int slot)
    {
        ForgetBody(slot);
        Bodies[slot] = DroppedBody;
    }

    private void ForgetBody(int slot)
    {
        if (HoldsBody(slot))
        {
            BodyBytes -= Bodies[slot]!.Length;
        }
    }

    /// <summary>When the job became (or becomes) ready.</summary>
    public long ReadyAtMs(int slot) => _readyAt[slot];

    /// <summary>Sets the time <see cref="ReadyAtMs"/> reads; a delayed job must not be in its topic's delayed heap yet.</summary>
    public void SetReadyAtMs(int slot, long readyAtMs) => _readyAt[slot] = readyAtMs;

    /// <summary>The job's extra, allocating it on first use.</summary>
    public ref JobExtra Extra(int slot)
    {
        ref var job = ref Slots[slot];
        if (job.Extra == None)
        {
            job.Extra = AllocateExtra(slot);
        }

        return ref Extras[job.Extra];
    }

    /// <summary>The job's extra if it has one, else a shared empty one (read only).</summary>
    public JobExtra ExtraOrDefault(int slot)
    {
        var e = Slots[slot].Extra;
        return e == None ? default : Extras[e];
    }

    /// <summary>Frees the job's extra (used by rollback when the before-image had none).</summary>
    public void DropExtra(int slot)
    {
        ref var job = ref Slots[slot];
        if (job.Extra != None)
        {
            FreeExtra(job.Extra);
            job.Extra = None;
        }
    }

    /// <summary>The slot of a live job with this id, or -1.</summary>
    public int Find(ulong id) => _index.Find(id);

    /// <summary>Ids the index keeps in its dictionary rather than a page (for tests).</summary>
    internal int IdsOutsidePages => _index.SparseCount;

    /// <summary>Removes the job's id from the index (the slot stays allocated).</summary>
    public void IndexRemove(int slot) => _index.Remove(Slots[slot].Id, slot);

    /// <summary>Adds the job's id to the index.</summary>
    public void IndexAdd(int slot) => _index.Add(Slots[slot].Id, slot);

    private int AllocateExtra(int slot)
    {
        int e;
        if (_freeExtra != None)
        {
            e = _freeExtra;
            _freeExtra = Extras[e].NextFree;
        }
        else
        {
            if (_extraCount == Extras.Length)
            {
                Array.Resize(ref Extras, Extras.Length * 2);
                _wheel.EnsureJobCapacity(Extras.Length);
            }

            e = _extraCount++;
        }

        Extras[e] = new JobExtra { Slot = slot, NextFree = None };
        return e;
    }

    private void FreeExtra(int e)
    {
        Extras[e] = new JobExtra { NextFree = _freeExtra };
        _freeExtra = e;
    }
}
