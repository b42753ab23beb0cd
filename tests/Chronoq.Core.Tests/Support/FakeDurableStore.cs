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

    /// <summary>When set, the next commit waits for it before going on.</summary>
    public TaskCompletionSource? Hold;

    /// <summary>Completed once a commit is waiting on <see cref="Hold"/>: the engine loop is blocked in it.</summary>
    public TaskCompletionSource Holding { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

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
            return Task.FromResult(new RecoveredState(_jobs.Values.OrderBy(j => j.Id).ToList(), IdHighWater));
        }
    }

    public async ValueTask CommitAsync(MutationBatch batch, CancellationToken cancellationToken)
    {
        var hold = Hold;
        if (hold is not null)
        {
            Hold = null;
            Holding.TrySetResult();
            await hold.Task.WaitAsync(EngineHarness.Bound, cancellationToken);
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
                else
                {
                    _jobs[mutation.Record.Id] = mutation.Record;
                }
            }

            IdHighWater = Math.Max(IdHighWater, batch.IdHighWater);
        }
    }

    public ValueTask<ReadOnlyMemory<byte>[]> ReadBodiesAsync(IReadOnlyList<ulong> ids, CancellationToken cancellationToken) =>
        ValueTask.FromResult(new ReadOnlyMemory<byte>[ids.Count]);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
