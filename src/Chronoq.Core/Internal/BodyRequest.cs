namespace Chronoq.Core.Internal;

/// <summary>
/// A job handed out in the current turn whose answer waits for the turn's one batched body read:
/// a peek or reservation answered through <see cref="Command"/>, or a delivery to <see cref="Stream"/>
/// (also one whose body is in memory but queued behind such a delivery, to keep the stream's order).
/// </summary>
internal struct BodyRequest
{
    public int Slot;
    /// <summary>Peek, PeekNext, ReserveJob or ReserveOne; null for a stream delivery.</summary>
    public EngineCommand? Command;
    public StreamWaiter? Stream;
    /// <summary>The delivery to a stream, written once the body is in.</summary>
    public ReservedJob Reserved;
    /// <summary>For a reservation: the state the job goes back to if the read fails.</summary>
    public JobState PreviousState;
}
