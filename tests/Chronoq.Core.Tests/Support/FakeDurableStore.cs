using Chronoq.Core.Storage;

namespace Chronoq.Core.Tests.Support;

/// <summary>
/// A durable-looking store in memory: applies committed batches to a dictionary that a restarted
/// engine recovers from, and can be told to fail or hold commits.
/// </summary>
internal sealed class FakeDurableStore : IJobStore
{
    private readonly object _gate = new();
    private readonly Dictionary<ulong, JobRecord> _jobs = new();

    public string Kind => "postgres";

    public ulong IdHighWater { get; private set; }

    public int Commits { get; private set; }

    public List<int> BatchSizes { get; } = new();

    /// <summary>When set, every commit throws <see cref="StorageUnavailableException"/>.</summary>
    public volatile bool Fail;

    private StoreHold? _nextCommitHold;
    private StoreHold? _nextReadHold;

    /// <summary>When set, every body read throws <see cref="StorageUnavailableException"/>.</summary>
    public volatile bool FailReads;

    /// <summary>When set, recovery hands out bodies only until this many bytes, as the PostgreSQL store does with its budget.</summary>
    public long? RecoveryBodyBytes;

    private int _bodyReads;
    private int _bodiesRead;

    /// <summary>Calls of <see cref="ReadBodiesAsync"/> that succeeded.</summary>
    public int BodyReads => Volatile.Read(ref _bodyReads);

    /// <summary>Ids asked for by the successful calls of <see cref="ReadBodiesAsync"/>.</summary>
    public int BodiesRead => Volatile.Read(ref _bodiesRead);

    public IReadOnlyDictionary<ulong, JobRecord> Jobs
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<ulong, JobRecord>(_jobs);
            }
        }
    }

    public Task<RecoveredState> RecoverAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var loaded = 0L;
            var jobs = new List<JobRecord>();
            foreach (var job in _jobs.Values.OrderBy(j => j.Id))
            {
                var load = RecoveryBodyBytes is not { } budget || loaded < budget;
                loaded += load ? job.Body.Length : 0;
                jobs.Add(load ? job : job with { Body = ReadOnlyMemory<byte>.Empty, BodyUnchanged = true });
            }

            return Task.FromResult(new RecoveredState(jobs, IdHighWater));
        }
    }

    public async ValueTask CommitAsync(MutationBatch batch, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _nextCommitHold, null) is { } hold)
        {
            hold.Reached.TrySetResult(batch.Mutations.Count);
            await hold.Released.Task.WaitAsync(EngineHarness.Bound, cancellationToken);
        }

        if (Fail)
        {
            throw new StorageUnavailableException("the fake store is down");
        }

        lock (_gate)
        {
            Commits++;
            BatchSizes.Add(batch.Mutations.Count);
            foreach (var mutation in batch.Mutations)
            {
                if (mutation.Kind == MutationKind.Delete)
                {
                    _jobs.Remove(mutation.Record.Id);
                }
                else if (mutation.Record.BodyUnchanged && _jobs.TryGetValue(mutation.Record.Id, out var stored))
                {
                    _jobs[mutation.Record.Id] = mutation.Record with { Body = stored.Body, BodyUnchanged = false };
                }
                else
                {
                    _jobs[mutation.Record.Id] = mutation.Record;
                }
            }

            IdHighWater = Math.Max(IdHighWater, batch.IdHighWater);
        }
    }

    public async ValueTask<ReadOnlyMemory<byte>[]> ReadBodiesAsync(IReadOnlyList<ulong> ids, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _nextReadHold, null) is { } hold)
        {
            hold.Reached.TrySetResult(ids.Count);
            await hold.Released.Task.WaitAsync(EngineHarness.Bound, cancellationToken);
        }

        if (FailReads)
        {
            throw new StorageUnavailableException("the fake store cannot read");
        }

        lock (_gate)
        {
            var bodies = ids.Select(id => _jobs.TryGetValue(id, out var job) ? job.Body : ReadOnlyMemory<byte>.Empty).ToArray();
            Interlocked.Increment(ref _bodyReads);
            Interlocked.Add(ref _bodiesRead, ids.Count);
            return bodies;
        }
    }

    /// <summary>
    /// Makes the next commit wait until <see cref="StoreHold.Release"/>: while it waits the engine
    /// loop is blocked inside that commit, with the batch applied in memory but not yet durable.
    /// </summary>
    public StoreHold HoldNextCommit() => Hold(ref _nextCommitHold);

    /// <summary>Makes the next body read wait until <see cref="StoreHold.Release"/>, the engine loop blocked inside it.</summary>
    public StoreHold HoldNextBodyRead() => Hold(ref _nextReadHold);

    private static StoreHold Hold(ref StoreHold? next)
    {
        var hold = new StoreHold();
        Volatile.Write(ref next, hold);
        return hold;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>One held commit or body read of <see cref="FakeDurableStore"/>.</summary>
internal sealed class StoreHold
{
    internal TaskCompletionSource<int> Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal TaskCompletionSource Released { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the call is waiting (the engine loop is blocked in it), with its size: a commit's mutations, a read's ids.</summary>
    public Task<int> WaitUntilReachedAsync() => Reached.Task.WaitAsync(EngineHarness.Bound);

    public void Release() => Released.TrySetResult();
}
