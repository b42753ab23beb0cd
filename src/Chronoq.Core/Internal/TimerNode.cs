namespace Chronoq.Core.Internal;

/// <summary>
/// A timer's place in the wheel: its expiration and its links in a bucket's circular list.
/// A reserved job's TTR uses the node numbered by its extra; delayed jobs have no node of their own
/// (their topic's one delay timer stands for its whole delayed heap).
/// </summary>
internal struct TimerNode
{
    public long Expiration;
    public int Next;
    public int Prev;
}
