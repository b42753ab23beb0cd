namespace Chronoq.Core;

/// <summary>What a <see cref="ReservationEvent"/> carries.</summary>
public enum ReservationEventKind : byte
{
    /// <summary>A job reserved through the stream: <see cref="ReservationEvent.Job"/>.</summary>
    Job = 1,

    /// <summary>A reservation of the stream is about to run out: <see cref="ReservationEvent.DeadlineSoon"/>.</summary>
    DeadlineSoon = 2,
}
