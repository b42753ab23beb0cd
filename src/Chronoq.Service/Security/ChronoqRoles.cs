namespace Chronoq.Service.Security;

/// <summary>What an API key may do on a topic.</summary>
[Flags]
public enum ChronoqRoles
{
    /// <summary>Nothing.</summary>
    None = 0,

    /// <summary>Put, PutBatch, DeleteByKey.</summary>
    Produce = 1,

    /// <summary>Reserve, ReserveOne, and Delete, Release, Bury, Touch of a job the caller holds (with its reservation).</summary>
    Consume = 2,

    /// <summary>Kick, KickJob, PauseTopic, ReserveJob, Delete without a reservation, Peek, PeekNext and the stats calls.</summary>
    Admin = 4,
}
