namespace Chronoq.Core;

/// <summary>One delete of a batch (chronoq.v1.DeleteRequest).</summary>
/// <param name="Id">The job.</param>
/// <param name="Reservation">The caller's reservation token; required when the job is reserved, 0 = none.</param>
public readonly record struct DeleteTarget(ulong Id, ulong Reservation);
