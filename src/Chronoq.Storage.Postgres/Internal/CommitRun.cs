namespace Chronoq.Storage.Postgres.Internal;

/// <summary>Where the commit holding a <see cref="CommitColumns"/> stands (see <see cref="CommitSlots"/>).</summary>
internal enum CommitRun
{
    /// <summary>In the free list: no commit holds it.</summary>
    Ended,

    /// <summary>A commit holds it and its caller is waiting.</summary>
    Running,

    /// <summary>Its caller stopped waiting (deadline or cancellation), but the commit has not ended yet.</summary>
    Abandoned,
}
