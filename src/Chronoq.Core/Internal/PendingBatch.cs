using Chronoq.Core.Storage;
using Chronoq.Core.Telemetry;

namespace Chronoq.Core.Internal;

/// <summary>
/// One group commit's worth of changes: the commands applied to memory, their mutation records, and
/// what a failed commit needs to put memory back (the undo log, the counters to subtract). The
/// engine applies commands into one of these while up to <see cref="IJobStore.MaxCommitsInFlight"/>
/// earlier ones commit, then finishes them strictly in the order they were applied.
/// </summary>
internal sealed class PendingBatch
{
    /// <summary>What the store makes durable.</summary>
    public MutationBatch Records { get; } = new();

    /// <summary>The batch commands applied, answered when the batch is finished.</summary>
    public List<EngineCommand> Applied { get; } = new();

    /// <summary>
    /// Commands of later turns that made no records (all refused, say), answered right after this
    /// batch's own, with their own status even when this batch fails.
    /// </summary>
    public List<EngineCommand> Followers { get; } = new();

    /// <summary>Before-images of the jobs touched, in the order first touched (rolled back in reverse).</summary>
    public List<UndoEntry> Undo { get; } = new();

    /// <summary>
    /// Slots the batch put or changed: not delivered, and not read or changed by a later batch,
    /// until this one is finished (see <see cref="EngineCore"/>'s DependsOnCommitting).
    /// </summary>
    public HashSet<int> Touched { get; } = new();

    /// <summary>Slots of deleted jobs, freed for reuse only once the delete is durable.</summary>
    public List<int> PendingFree { get; } = new();

    /// <summary>Topic of each put counted in the totals (subtracted again on rollback).</summary>
    public List<int> PutTopics { get; } = new();

    /// <summary>Topic of each delete counted in the totals (subtracted again on rollback).</summary>
    public List<int> DeleteTopics { get; } = new();

    /// <summary>
    /// The store's commit unless it succeeded at once (null then, or when there was nothing to
    /// commit); a commit that threw before returning is a faulted task, so it fails like any other.
    /// </summary>
    public Task? Commit { get; set; }

    public CommitMeasurement Measurement { get; set; }

    /// <summary>Whether the batch may be finished now without waiting.</summary>
    public bool IsCommitted => Commit is null || Commit.IsCompleted;

    public void Clear()
    {
        Records.Clear();
        Applied.Clear();
        Followers.Clear();
        Undo.Clear();
        Touched.Clear();
        PendingFree.Clear();
        PutTopics.Clear();
        DeleteTopics.Clear();
        Commit = null;
        Measurement = default;
    }
}
