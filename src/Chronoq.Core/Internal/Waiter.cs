namespace Chronoq.Core.Internal;

/// <summary>Someone waiting for ready jobs on a set of topics: a stream with free prefetch slots or a ReserveOne call.</summary>
internal abstract class Waiter
{
    /// <summary>Arrival order; renewed each time the waiter goes to the back of the queues.</summary>
    public long Seq;

    /// <summary>Distinct topics watched.</summary>
    public List<Topic> Topics { get; } = new();

    /// <summary>Jobs the waiter may still receive.</summary>
    public int Credits;

    public bool Alive;

    /// <summary>Position in the engine's list of live waiters while <see cref="Alive"/>; -1 otherwise.</summary>
    public int Index = -1;
}
