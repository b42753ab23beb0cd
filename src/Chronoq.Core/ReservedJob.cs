namespace Chronoq.Core;

/// <summary>A job reserved by the caller (chronoq.v1.ReservedJob).</summary>
/// <param name="Job">The job, in state <see cref="JobState.Reserved"/>.</param>
/// <param name="Reservation">The token needed to delete, release, bury or touch it; never 0.</param>
/// <param name="Deadline">When the TTR runs out.</param>
public readonly record struct ReservedJob(JobInfo Job, ulong Reservation, DateTimeOffset Deadline);
