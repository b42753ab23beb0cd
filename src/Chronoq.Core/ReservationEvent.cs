namespace Chronoq.Core;

/// <summary>One event of a <see cref="ReservationStream"/> (chronoq.v1.ReserveResponse).</summary>
public readonly record struct ReservationEvent
{
    /// <summary>Which of <see cref="Job"/> and <see cref="DeadlineSoon"/> is set.</summary>
    public ReservationEventKind Kind { get; init; }

    /// <summary>The reserved job when <see cref="Kind"/> is <see cref="ReservationEventKind.Job"/>.</summary>
    public ReservedJob Job { get; init; }

    /// <summary>The warning when <see cref="Kind"/> is <see cref="ReservationEventKind.DeadlineSoon"/>.</summary>
    public DeadlineSoon DeadlineSoon { get; init; }
}
