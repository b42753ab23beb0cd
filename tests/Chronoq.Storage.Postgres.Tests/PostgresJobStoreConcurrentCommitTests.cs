using System.Diagnostics;
using Chronoq.Core.Storage;
using Chronoq.Testing.Postgres;
using Npgsql;
using static Chronoq.Storage.Postgres.Tests.TestJobs;

namespace Chronoq.Storage.Postgres.Tests;

/// <summary>Commits that overlap, as the engine sends them up to <see cref="PostgresJobStore.MaxCommitsInFlight"/> at once.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresJobStoreConcurrentCommitTests(PostgresCluster cluster)
{
    /// <summary>From this many new jobs in one commit they go by COPY: the big batches below use it, the small ones INSERT.</summary>
    private const int CopyThreshold = 20;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    public async Task MaxCommitsInFlight_ReportsTheOption(int commitsInFlight)
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string db = await cluster.CreateDatabaseAsync("inflight", cts.Token);
        await using var store = await StoreAsync(db, cancellationToken: cts.Token, commitsInFlight: commitsInFlight);

        Assert.Equal(commitsInFlight, store.MaxCommitsInFlight);
        Assert.Equal(commitsInFlight, ((IJobStore)store).MaxCommitsInFlight);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public async Task CommitAsync_CommitsInFlightBatchesAtOnce_AllRunTogetherAndRecoveryReadsEveryRow(int commitsInFlight)
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string db = await cluster.CreateDatabaseAsync("overlap", cts.Token);
        var expected = new Dictionary<ulong, JobRecord>();
        ulong highestMark;
        await using (var store = await StoreAsync(db, TimeSpan.FromSeconds(30), cts.Token, CopyThreshold, commitsInFlight: commitsInFlight))
        {
            var seed = Enumerable.Range(1, 40).Select(i => Ready((ulong)i)).ToArray();
            await store.CommitAsync(Batch(40, [.. seed.Select(JobMutation.Upsert)]), cts.Token);
            foreach (var job in seed)
            {
                expected[job.Id] = job;
            }

            // Each batch deletes, updates and puts jobs of its own; its mark is above its rows, so
            // each ends with the high-water UPDATE, where all of them wait for the row we hold.
            var batches = new List<MutationBatch>();
            for (int k = 0; k < commitsInFlight; k++)
            {
                ulong seedBase = (ulong)(k * 4);
                ulong first = 1000 * (ulong)(k + 1);
                var batch = Batch(first + 999);
                batch.Mutations.Add(JobMutation.Delete(seedBase + 1));
                expected.Remove(seedBase + 1);

                var metadataOnly = expected[seedBase + 2] with { Priority = 7, Reserves = 3, Body = ReadOnlyMemory<byte>.Empty, BodyUnchanged = true };
                batch.Mutations.Add(JobMutation.Upsert(metadataOnly));
                expected[seedBase + 2] = metadataOnly with { Body = expected[seedBase + 2].Body, BodyUnchanged = false };

                var newBody = Ready(seedBase + 3, bodyBytes: 40) with { State = StoredJobState.Buried, BuriedAtMs = 1_700_000_001_000 };
                batch.Mutations.Add(JobMutation.Upsert(newBody));
                expected[seedBase + 3] = newBody;

                int puts = k % 2 == 0 ? CopyThreshold * 3 : 5;
                for (ulong id = first; id < first + (ulong)puts; id++)
                {
                    var put = Ready(id, topic: $"t{k}", bodyBytes: (int)(id % 50), key: id % 3 == 0 ? $"key{id}" : null);
                    batch.Mutations.Add(JobMutation.Upsert(put));
                    expected[id] = put;
                }

                batches.Add(batch);
            }

            highestMark = batches[^1].IdHighWater;

            await using var blocker = new NpgsqlConnection(db);
            await blocker.OpenAsync(cts.Token);
            await using var blockerTx = await blocker.BeginTransactionAsync(cts.Token);
            await using (var lockRow = new NpgsqlCommand("SELECT id_high_water FROM chronoq.meta FOR UPDATE", blocker, blockerTx))
            {
                await lockRow.ExecuteScalarAsync(cts.Token);
            }

            // Started in order, as the engine does: a later batch has a mark at least as high.
            var commits = batches.Select(b => store.CommitAsync(b, cts.Token).AsTask()).ToArray();

            // All of them in PostgreSQL at once, each in its own session: no store-side queue.
            // (Only the first waits on our lock itself; the others queue behind it for the row.)
            await WaitForAsync(
                async () => (await SessionsBlockedByAsync(db, null, cts.Token)).Count == commitsInFlight,
                async () => $"{(await SessionsBlockedByAsync(db, null, cts.Token)).Count} of {commitsInFlight} commits waited on the high-water row together",
                cts.Token);
            Assert.DoesNotContain(commits, c => c.IsCompleted);

            await blockerTx.RollbackAsync(cts.Token);
            await Task.WhenAll(commits);
        }

        await using var restarted = await StoreAsync(db, cancellationToken: cts.Token);
        var recovered = await restarted.RecoverAsync(cts.Token);
        Assert.Equal(expected.Keys.Order(), recovered.Jobs.Select(j => j.Id).Order());
        foreach (var job in recovered.Jobs)
        {
            var want = expected[job.Id];
            Assert.Equal(want.Body.ToArray(), job.Body.ToArray());
            Assert.Equal((want.Topic, want.Key, want.Priority, want.State, want.Reserves, want.BuriedAtMs), (job.Topic, job.Key, job.Priority, job.State, job.Reserves, job.BuriedAtMs));
        }

        Assert.True(recovered.IdHighWater >= highestMark, $"recovered mark {recovered.IdHighWater} is below the highest batch mark {highestMark}");
    }

    [Fact]
    public async Task CommitAsync_OneOfTwoOverlappingCommitsFails_ItAloneThrowsAndEndsOnlyItsOwnSession()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string db = await cluster.CreateDatabaseAsync("overfail", cts.Token);
        var timeout = TimeSpan.FromSeconds(6);
        await using var store = await StoreAsync(db, timeout, cts.Token, copyThreshold: 5, commitsInFlight: 2);
        await store.CommitAsync(Batch(4, [.. Enumerable.Range(1, 4).Select(i => JobMutation.Upsert(Ready((ulong)i)))]), cts.Token);

        // Job 1 held for the failing commit, job 2 for the one that succeeds.
        await using var holdsOne = await LockJobAsync(db, 1, cts.Token);
        await using var holdsTwo = await LockJobAsync(db, 2, cts.Token);

        // A deletes, puts and then waits to update job 1 until its deadline.
        var failing = store.CommitAsync(
            Batch(20, [JobMutation.Delete(3), .. Range(11, 15).Select(id => JobMutation.Upsert(Ready(id))), JobMutation.Upsert(Ready(1, bodyBytes: 99))]),
            cts.Token).AsTask();
        var clock = Stopwatch.StartNew();
        int firstSession = await SingleSessionBlockedByAsync(db, holdsOne.Connection.ProcessID, cts.Token);

        // Ended under it once, as a crash of the session would: the store retries on a new one,
        // which waits again.
        Assert.True(await ScalarAsync<bool>(db, $"SELECT pg_terminate_backend({firstSession})", cts.Token));
        await WaitForAsync(
            async () => (await SessionsBlockedByAsync(db, holdsOne.Connection.ProcessID, cts.Token)) is [var retry] && retry != firstSession,
            () => Task.FromResult("the failing commit's retry did not wait on job 1 again"),
            cts.Token);

        // B starts half way through A's time, so it is still waiting when A gives up.
        await Task.Delay(timeout / 2 - clock.Elapsed, cts.Token);
        var succeeding = store.CommitAsync(
            Batch(40, [JobMutation.Delete(4), .. Range(21, 30).Select(id => JobMutation.Upsert(Ready(id))), JobMutation.Upsert(Ready(2, bodyBytes: 77))]),
            cts.Token).AsTask();
        int succeedingSession = await SingleSessionBlockedByAsync(db, holdsTwo.Connection.ProcessID, cts.Token);
        Assert.False(failing.IsCompleted, "the second commit should have reached PostgreSQL while the first was still in flight");

        var ex = await Assert.ThrowsAsync<StorageUnavailableException>(() => failing);
        Assert.NotNull(ex.InnerException);

        // A's session is ended by the store (else it would commit once we let go of job 1), and
        // B's, on another connection of the same pool, is left alone and still waiting.
        await WaitForAsync(
            async () => (await SessionsBlockedByAsync(db, holdsOne.Connection.ProcessID, cts.Token)).Count == 0,
            () => Task.FromResult("the abandoned commit's session still waits on job 1"),
            cts.Token);
        Assert.Equal([succeedingSession], await SessionsBlockedByAsync(db, holdsTwo.Connection.ProcessID, cts.Token));
        Assert.False(succeeding.IsCompleted);

        await holdsTwo.Transaction.RollbackAsync(cts.Token);
        await succeeding;
        await holdsOne.Transaction.RollbackAsync(cts.Token);

        // The store goes on committing after the failure.
        await store.CommitAsync(Batch(41, JobMutation.Upsert(Ready(41))), cts.Token);

        await using var restarted = await StoreAsync(db, cancellationToken: cts.Token);
        var recovered = await restarted.RecoverAsync(cts.Token);
        ulong[] expectedIds = [1, 2, 3, .. Range(21, 30), 41];
        Assert.Equal(expectedIds, recovered.Jobs.Select(j => j.Id).Order());
        Assert.Equal(Ready(1).Body.ToArray(), recovered.Jobs.Single(j => j.Id == 1).Body.ToArray());
        Assert.Equal(77, recovered.Jobs.Single(j => j.Id == 2).Body.Length);
        // B's mark came with it, so none of A's ids (up to 20) nor B's (up to 40) can come back.
        Assert.True(recovered.IdHighWater >= 41, $"recovered mark {recovered.IdHighWater}");
        Assert.Equal(40L, await ScalarAsync<long>(db, "SELECT id_high_water FROM chronoq.meta", cts.Token));
    }

    private static IEnumerable<ulong> Range(ulong first, ulong last)
    {
        for (ulong id = first; id <= last; id++)
        {
            yield return id;
        }
    }

    private static async Task<RowLock> LockJobAsync(string db, long id, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(db) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"SELECT id FROM chronoq.jobs WHERE id = {id} FOR UPDATE", connection, transaction);
        Assert.Equal(id, (long)(await command.ExecuteScalarAsync(cancellationToken))!);
        return new RowLock(connection, transaction);
    }

    /// <summary>
    /// The store's sessions waiting on a lock that session <paramref name="holder"/> holds (any lock
    /// when null), watched from a session of its own (pg_stat_activity is a snapshot per transaction).
    /// </summary>
    private static async Task<List<int>> SessionsBlockedByAsync(string db, int? holder, CancellationToken cancellationToken)
    {
        await using var watcher = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(db) { Pooling = false }.ConnectionString);
        await watcher.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'chronoq' " +
            "AND wait_event_type = 'Lock' " + (holder is { } pid ? $"AND {pid} = ANY(pg_blocking_pids(pid)) " : "") + "ORDER BY pid",
            watcher);
        var pids = new List<int>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            pids.Add(reader.GetInt32(0));
        }

        return pids;
    }

    private static async Task<int> SingleSessionBlockedByAsync(string db, int holder, CancellationToken cancellationToken)
    {
        int session = 0;
        await WaitForAsync(
            async () => (await SessionsBlockedByAsync(db, holder, cancellationToken)) is [var only] && (session = only) != 0,
            () => Task.FromResult($"no commit waited on the lock of session {holder}"),
            cancellationToken);
        return session;
    }

    /// <summary>Polls <paramref name="condition"/> for up to 10 s, then fails with <paramref name="describe"/>'s text.</summary>
    private static async Task WaitForAsync(Func<Task<bool>> condition, Func<Task<string>> describe, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(10))
            {
                Assert.Fail(await describe());
            }

            await Task.Delay(20, cancellationToken);
        }
    }

    private sealed record RowLock(NpgsqlConnection Connection, NpgsqlTransaction Transaction) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Transaction.DisposeAsync();
            await Connection.DisposeAsync();
        }
    }
}
