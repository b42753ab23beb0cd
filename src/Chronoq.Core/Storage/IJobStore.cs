namespace Chronoq.Core.Storage;

/// <summary>
/// Where the engine makes its changes durable. The engine hands over batches of mutation records
/// and acknowledges a change, or makes a put job visible, only after <see cref="CommitAsync"/>
/// completed for the batch holding it. A store may coalesce several engine batches into one
/// physical commit (group commit).
/// </summary>
public interface IJobStore : IAsyncDisposable
{
    /// <summary>"memory" or "postgres", as reported by GetServerStats.</summary>
    string Kind { get; }

    /// <summary>
    /// False for a store that keeps nothing (the memory store): the engine then skips building
    /// mutation records and calling <see cref="CommitAsync"/>. Defaults to true.
    /// </summary>
    bool IsDurable => true;

    /// <summary>
    /// How many <see cref="CommitAsync"/> calls the engine may have running at once. Batches
    /// committed at the same time never touch the same job or key (the engine waits for the earlier
    /// batch before applying a command that would read or change what it touched), and a batch
    /// started later has an <see cref="MutationBatch.IdHighWater"/> at least as high. Defaults to 1.
    /// </summary>
    int MaxCommitsInFlight => 1;

    /// <summary>
    /// Reads back every live job and the id high-water mark. Called once, before the engine serves.
    /// A store may leave bodies out (each such record with <see cref="JobRecord.BodyUnchanged"/> set)
    /// to bound memory; the engine then reads them back on demand.
    /// </summary>
    Task<RecoveredState> RecoverAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Makes a batch durable: all of it or none of it. Throws <see cref="StorageUnavailableException"/>
    /// when the store cannot commit within its bounded wait; the batch is then not applied.
    /// </summary>
    ValueTask CommitAsync(MutationBatch batch, CancellationToken cancellationToken);

    /// <summary>
    /// Reads the bodies of jobs whose bodies the engine dropped from memory, in one round trip.
    /// The result is in the order of <paramref name="ids"/>; a job no longer stored yields an empty body.
    /// </summary>
    ValueTask<ReadOnlyMemory<byte>[]> ReadBodiesAsync(IReadOnlyList<ulong> ids, CancellationToken cancellationToken);
}
