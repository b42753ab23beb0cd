namespace Chronoq.Core.Storage;

/// <summary>
/// The embedded default store: keeps nothing, so every commit completes at once and a restart
/// starts empty. Not durable — the host warns about it at start-up.
/// </summary>
public sealed class MemoryJobStore : IJobStore
{
    /// <inheritdoc/>
    public string Kind => "memory";

    /// <inheritdoc/>
    public bool IsDurable => false;

    /// <summary>The highest id committed so far (kept only for symmetry with durable stores).</summary>
    public ulong IdHighWater { get; private set; }

    /// <inheritdoc/>
    public Task<RecoveredState> RecoverAsync(CancellationToken cancellationToken) => Task.FromResult(RecoveredState.Empty);

    /// <inheritdoc/>
    public ValueTask CommitAsync(MutationBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        IdHighWater = Math.Max(IdHighWater, batch.IdHighWater);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask<ReadOnlyMemory<byte>[]> ReadBodiesAsync(IReadOnlyList<ulong> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        // The engine never drops bodies with this store, so nothing is ever read back.
        return ValueTask.FromResult(new ReadOnlyMemory<byte>[ids.Count]);
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
