namespace Chronoq.Core.Internal;

/// <summary>One topic's jobs by state, its keys, counters, pause and waiter queue.</summary>
internal sealed class Topic
{
    public Topic(string name, int index, JobTable table, int pauseTimer, int delayTimer)
    {
        Name = name;
        Index = index;
        Ready = new JobHeap(table, HeapOrder.Urgency);
        Delayed = new JobHeap(table, HeapOrder.ReadyAt);
        Buried = new JobHeap(table, HeapOrder.BuryOrder);
        PauseTimer = pauseTimer;
        DelayTimer = delayTimer;
    }

    public string Name { get; }
    public int Index { get; }
    public JobHeap Ready { get; }
    public JobHeap Delayed { get; }
    public JobHeap Buried { get; }
    public int Reserved;
    public ulong TotalPuts;
    public ulong TotalDeletes;
    public ulong TotalTimeouts;

    /// <summary>Live keys of the topic's jobs, to their slab index.</summary>
    public Dictionary<string, int> Keys { get; } = new(StringComparer.Ordinal);

    public bool Paused;
    public long PausedUntilMs;

    /// <summary>The topic's own wheel node for the end of a pause.</summary>
    public int PauseTimer { get; }

    /// <summary>
    /// The topic's wheel node for its delays, scheduled at the ready-at time of the first job in
    /// <see cref="Delayed"/>: the delayed heap already orders the jobs by that time, so the wheel
    /// needs one node per topic, not one per delayed job.
    /// </summary>
    public int DelayTimer { get; }

    /// <summary>Waiters watching the topic, in arrival order; an entry is stale once its waiter's sequence moved on.</summary>
    public Queue<(Waiter Waiter, long Seq)> Waiters { get; } = new();

    /// <summary>Live waiters watching the topic (bounds the stale entries kept in <see cref="Waiters"/>).</summary>
    public int Watchers;

    /// <summary>In the engine's dirty list: a job became ready, a waiter arrived or a pause ended.</summary>
    public bool Dirty;
}
