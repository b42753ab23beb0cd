namespace Chronoq.Core;

/// <summary>Sent once per reservation 1 s before its TTR deadline (chronoq.v1.DeadlineSoon).</summary>
/// <param name="Id">The job.</param>
/// <param name="Reservation">The reservation about to run out.</param>
/// <param name="Deadline">When it runs out.</param>
public readonly record struct DeadlineSoon(ulong Id, ulong Reservation, DateTimeOffset Deadline);
