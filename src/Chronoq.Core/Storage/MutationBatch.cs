namespace Chronoq.Core.Storage;

/// <summary>
/// The changes of one engine batch, committed all-or-nothing, plus the id high-water mark so ids
/// are never reused across restarts (a late Delete of an old id must never hit a new job).
/// </summary>
public sealed class MutationBatch
{
    /// <summary>The mutations in the order they were made.</summary>
    public List<JobMutation> Mutations { get; } = new();

    /// <summary>The highest id ever assigned when this batch was made.</summary>
    public ulong IdHighWater { get; set; }

    /// <summary>Empties the batch for reuse.</summary>
    public void Clear()
    {
        Mutations.Clear();
        IdHighWater = 0;
    }
}
