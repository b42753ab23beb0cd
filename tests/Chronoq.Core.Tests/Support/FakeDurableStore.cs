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

    /// <summary>How many commits the engine may run at once (<see cref="IJobStore.MaxCommitsInFlight"/>).</summary>
    public int MaxCommitsInFlight { get; init; } = 1;

    /// <summary>
    /// When set, each commit first waits a random 1-2 ms (never completing at once, so commits
    /// overlap and complete in any order) and then fails with this probability; drawn from a
    /// seeded generator.
    /// </summary>
    public double? ChaosFailureRate { get; init; }

    private readonly Random _chaos = new(20261206);
    private int _running;

    /// <summary>The most commits seen running at once.</summary>
    public int MostCommitsAtOnce { get; private set; }

    /// <summary>Commits that failed (thrown) so far.</summary>
    public int FailedCommits { get; private set; }

    public ulong IdHighWater { get; private set; }

    public int Commits { get; private set; }

    public List<int> BatchSizes { get; } = new();

    /// <summary>When set, every commit throws <see cref="StorageUnavailableException"/>.</summary>
    public volatile bool Fail;

    /// <summary>When set, every commit throws from the call itself, before a task comes back (as a wrapping store may).</summary>
    public volatile bool ThrowBeforeReturning;

    private readonly System.Collections.Concurrent.ConcurrentQueue<StoreHold> _commitHolds = new();
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

    public ValueTask CommitAsync(MutationBatch batch, CancellationToken cancellationToken) =>
        ThrowBeforeReturning ? throw new StorageUnavailableException("the fake store is down") : CommitCountedAsync(batch, cancellationToken);

    private async ValueTask CommitCountedAsync(MutationBatch batch, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            MostCommitsAtOnce = Math.Max(MostCommitsAtOnce, ++_running);
        }

        try
        {
            await CommitCoreAsync(batch, cancellationToken);
        }
        catch
        {
            lock (_gate)
            {
                FailedCommits++;
            }

            throw;
        }
        finally
        {
            lock (_gate)
            {
                _running--;
            }
        }
    }

    private async Task CommitCoreAsync(MutationBatch batch, CancellationToken cancellationToken)
    {
        var fail = Fail;
        if (_commitHolds.TryDequeue(out var hold))
        {
            hold.Reached.TrySetResult(batch.Mutations.Count);
            await hold.Released.Task.WaitAsync(EngineHarness.Bound, cancellationToken);
            fail |= hold.FailOnRelease;
        }

        if (ChaosFailureRate is { } rate)
        {
            int delayMs;
            lock (_gate)
            {
                delayMs = _chaos.Next(1, 3);
                fail |= _chaos.NextDouble() < rate;
            }

            await Task.Delay(delayMs, cancellationToken);
        }

        if (fail || Fail)
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
    /// Makes the next commit not yet held wait until <see cref="StoreHold.Release"/> (or
    /// <see cref="StoreHold.ReleaseAndFail"/>): meanwhile its batch is applied in memory but not
    /// durable, and with one commit in flight the engine loop is blocked inside it. Holds taken
    /// one after another apply to the commits in the order they start.
    /// </summary>
    public StoreHold HoldNextCommit()
    {
        var hold = new StoreHold();
        _commitHolds.Enqueue(hold);
        return hold;
    }

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

    internal bool FailOnRelease { get; private set; }

    public void Release() => Released.TrySetResult();

    /// <summary>Lets a held commit go on and fail (StorageUnavailableException), whatever <see cref="FakeDurableStore.Fail"/> says.</summary>
    public void ReleaseAndFail()
    {
        FailOnRelease = true;
        Released.TrySetResult();
    }
}
