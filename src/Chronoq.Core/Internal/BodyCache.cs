namespace Chronoq.Core.Internal;

/// <summary>
/// Keeps the bodies held in memory within a byte budget when the store is durable: past it, bodies
/// of jobs whose put is committed are dropped from the <see cref="JobTable"/> (the store has them)
/// and read back when their jobs are delivered or peeked. Disabled (every body kept) when the budget
/// is 0 or the store keeps nothing.
/// </summary>
/// <remarks>
/// Which bodies go first, chosen to be cheap rather than exact: bodies that arrived with a delayed
/// or buried job first (it waits for its time or an operator's kick), then the rest; within each,
/// the newest first. Newest-first keeps the bodies the ready order reaches first: it breaks priority
/// ties by id, and ids grow with put time, so the newest job of a priority is the last delivered.
/// A body just read back belongs to a job just delivered or peeked, so it is the newest and among
/// the first to go again. Each body has one entry in one of two stacks, pushed when the body
/// enters memory (put, recovery, read-back) and popped when it is dropped; an entry whose job was
/// deleted or whose slot was reused is stale and skipped. No per-job field is needed, and the
/// stacks are compacted when stale entries could make up half of them.
/// </remarks>
internal sealed class BodyCache
{
    // Below this many entries compaction is not worth a pass.
    private const int MinCompactionCount = 1024;

    private readonly JobTable _table;
    private readonly long _budget;
    private readonly List<Entry> _delayedOrBuried = new();
    private readonly List<Entry> _others = new();
    private int _compactAt = MinCompactionCount;

    public BodyCache(JobTable table, long budgetBytes, bool storeIsDurable)
    {
        _table = table;
        _budget = storeIsDurable ? budgetBytes : 0;
    }

    /// <summary>False when every body stays in memory.</summary>
    public bool Enabled => _budget > 0;

    /// <summary>Whether <see cref="Trim"/> has bodies to drop.</summary>
    public bool IsOverBudget => Enabled && _table.BodyBytes > _budget;

    /// <summary>
    /// Whether the held bodies passed the budget by more than a sixteenth. Trimming needs every
    /// commit finished; while commits overlap the engine waits for them only past this slack, not
    /// on every turn that a put takes the bodies over the budget.
    /// </summary>
    public bool IsOverSlack => Enabled && _table.BodyBytes > _budget + (_budget / 16);

    /// <summary>Notes that a job's body is now held in memory and may be dropped later.</summary>
    public void Track(int slot, JobState state)
    {
        if (!Enabled || !_table.HoldsBody(slot))
        {
            return;
        }

        var stack = state is JobState.Delayed or JobState.Buried ? _delayedOrBuried : _others;
        stack.Add(new Entry(slot, _table.Slots[slot].Id));
        if (_delayedOrBuried.Count + _others.Count >= _compactAt)
        {
            Compact();
        }
    }

    /// <summary>
    /// Drops bodies until the held bytes are within the budget. Call only when every job in the
    /// table is committed (no batch applied or committing), so no body the store lacks is ever dropped.
    /// </summary>
    public void Trim()
    {
        while (IsOverBudget && (DropNewest(_delayedOrBuried) || DropNewest(_others)))
        {
        }
    }

    private bool DropNewest(List<Entry> stack)
    {
        while (stack.Count > 0)
        {
            var entry = stack[^1];
            stack.RemoveAt(stack.Count - 1);
            if (IsLive(entry))
            {
                _table.DropBody(entry.Slot);
                return true;
            }
        }

        return false;
    }

    private bool IsLive(Entry entry) => _table.Slots[entry.Slot].Id == entry.Id && _table.HoldsBody(entry.Slot);

    private void Compact()
    {
        CompactStack(_delayedOrBuried);
        CompactStack(_others);
        _compactAt = Math.Max(MinCompactionCount, 2 * (_delayedOrBuried.Count + _others.Count));
    }

    private void CompactStack(List<Entry> stack)
    {
        var kept = 0;
        for (var i = 0; i < stack.Count; i++)
        {
            if (IsLive(stack[i]))
            {
                stack[kept++] = stack[i];
            }
        }

        stack.RemoveRange(kept, stack.Count - kept);
    }

    private readonly record struct Entry(int Slot, ulong Id);
}
