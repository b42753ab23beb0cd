namespace Chronoq.Core.Internal;

/// <summary>
/// A timer's place in the wheel: its expiration and its links in a bucket's circular list.
/// Jobs use the node with their slab index, so a delayed job carries no timer object of its own.
/// </summary>
internal struct TimerNode
{
    public long Expiration;
    public int Next;
    public int Prev;
}
