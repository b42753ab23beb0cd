using System.Diagnostics;
using Chronoq.Core.Storage;
using Chronoq.Testing.Postgres;
using Npgsql;
using static Chronoq.Storage.Postgres.Tests.TestJobs;

namespace Chronoq.Storage.Postgres.Tests;

/// <summary>PostgreSQL going away under the store: stopped, crashed, sessions killed.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresJobStoreOutageTests(PostgresCluster cluster)
{
    /// <summary>Slack over CommitTimeout for scheduling on a loaded two-core machine.</summary>
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(1.5);

    [Fact]
    public async Task CommitAsync_ServerStopped_ThrowsUnavailableWithinTimeoutThenCommitsAfterRestart()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string db = await cluster.CreateDatabaseAsync("down", cts.Token);
        var timeout = TimeSpan.FromSeconds(2);
        await using var store = await StoreAsync(db, timeout, cts.Token);
        await store.CommitAsync(Batch(1, JobMutation.Upsert(Ready(1))), cts.Token);

        await cluster.StopAsync();
        try
        {
            var clock = Stopwatch.StartNew();
            var ex = await Assert.ThrowsAsync<StorageUnavailableException>(
                async () => await store.CommitAsync(Batch(2, JobMutation.Upsert(Ready(2))), cts.Token));
            clock.Stop();

            Assert.True(clock.Elapsed < timeout + Slack, $"failed after {clock.Elapsed}, allowed {timeout + Slack}");
            Assert.NotNull(ex.InnerException);
        }
        finally
        {
            await cluster.StartAsync();
        }

        await store.CommitAsync(Batch(3, JobMutation.Upsert(Ready(3))), cts.Token);
        var recovered = await store.RecoverAsync(cts.Token);
        Assert.Equal([1UL, 3UL], recovered.Jobs.Select(j => j.Id).Order());
        Assert.Equal(3UL, recovered.IdHighWater);
    }

    [Fact]
    public async Task CommitAsync_ServerCrashedAfterCommit_CommittedJobsSurviveRestart()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string db = await cluster.CreateDatabaseAsync("crash", cts.Token);
        await using (var store = await StoreAsync(db, cancellationToken: cts.Token))
        {
            for (ulong id = 1; id <= 50; id++)
            {
                await store.CommitAsync(Batch(id, JobMutation.Upsert(Ready(id))), cts.Token);
            }
        }

        await cluster.StopAsync(immediate: true);
        await cluster.StartAsync();

        await using var restarted = await StoreAsync(db, cancellationToken: cts.Token);
        var recovered = await restarted.RecoverAsync(cts.Token);
        Assert.Equal(50, recovered.Jobs.Count);
        Assert.Equal(50UL, recovered.IdHighWater);
    }

    [Theory]
    [InlineData(256)] // the failed first attempt was a plain INSERT; the retry is an upsert
    [InlineData(1)] // the failed first attempt was a COPY; the retry is an upsert
    public async Task CommitAsync_PooledSessionsTerminated_RetriesOnAFreshConnectionAndCommits(int copyThreshold)
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string db = await cluster.CreateDatabaseAsync("term", cts.Token);
        await using var store = await StoreAsync(db, cancellationToken: cts.Token, copyThreshold: copyThreshold);
        await store.CommitAsync(Batch(1, JobMutation.Upsert(Ready(1))), cts.Token);

        Assert.True(await cluster.TerminateBackendsAsync(DatabaseOf(db), cts.Token) > 0, "the store should hold a pooled session");
        await store.CommitAsync(Batch(2, JobMutation.Upsert(Ready(2))), cts.Token);

        Assert.Equal(2, (await store.RecoverAsync(cts.Token)).Jobs.Count);
    }

    [Theory]
    [InlineData(256)] // the first attempt is a plain INSERT, its retry the upsert
    [InlineData(1)] // the first attempt is the COPY form, its retry the upsert
    public async Task CommitAsync_BackendTerminatedMidCommit_ThrowsUnavailableAndAppliesNothing(int copyThreshold)
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string db = await cluster.CreateDatabaseAsync("mid", cts.Token);
        var timeout = TimeSpan.FromSeconds(3);
        await using var store = await StoreAsync(db, timeout, cts.Token, copyThreshold);
        await store.CommitAsync(Batch(1, JobMutation.Upsert(Ready(1))), cts.Token);

        // Hold the high-water row so the commit stops inside its transaction, after its deletes
        // and inserts ran, waiting on the lock.
        await using var blocker = new NpgsqlConnection(db);
        await blocker.OpenAsync(cts.Token);
        await using var blockerTx = await blocker.BeginTransactionAsync(cts.Token);
        await using (var lockRow = new NpgsqlCommand("SELECT id_high_water FROM chronoq.meta FOR UPDATE", blocker, blockerTx))
        {
            await lockRow.ExecuteScalarAsync(cts.Token);
        }

        // Watched from another session: pg_stat_activity is a snapshot per transaction, so the
        // blocker's own transaction would see the same rows forever.
        await using var watcher = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(db) { Pooling = false }.ConnectionString);
        await watcher.OpenAsync(cts.Token);

        // Its mark, 6, is above every row it writes, so the commit ends with the high-water UPDATE.
        var commit = store.CommitAsync(Batch(6, JobMutation.Delete(1), JobMutation.Upsert(Ready(2)), JobMutation.Upsert(Ready(5))), cts.Token).AsTask();

        // Terminate the session stuck mid-transaction once; the store retries on a new session,
        // which blocks again until the deadline.
        int terminated = 0;
        while (terminated == 0 && !commit.IsCompleted)
        {
            terminated = await CountAsync(watcher, "pg_terminate_backend(pid)", cts.Token);
            await Task.WhenAny(commit, Task.Delay(20, cts.Token));
        }

        var ex = await Assert.ThrowsAsync<StorageUnavailableException>(() => commit);
        Assert.True(terminated > 0, "a commit should have been caught mid-transaction");
        Assert.NotNull(ex.InnerException);

        // The retry still waits on our lock. The store must end that session itself: were it to
        // live on, it would commit the moment we let go, after the caller was told UNAVAILABLE.
        var clock = Stopwatch.StartNew();
        while (await CountAsync(watcher, "1", cts.Token) > 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "the abandoned commit's session is still waiting after 10 s");
            await Task.Delay(50, cts.Token);
        }

        await blockerTx.RollbackAsync(cts.Token);

        var recovered = await store.RecoverAsync(cts.Token);
        Assert.Equal(1UL, Assert.Single(recovered.Jobs).Id);
        Assert.Equal(1UL, recovered.IdHighWater);
    }

    [Fact]
    public async Task CreateAsync_ServerUnreachable_ThrowsUnavailable()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        // A port nothing listens on: the connection is refused at once, retried until the deadline.
        var unreachable = new NpgsqlConnectionStringBuilder(cluster.AdminConnectionString) { Port = 1 }.ConnectionString;
        var options = new PostgresStoreOptions { ConnectionString = unreachable, StartupTimeout = TimeSpan.FromSeconds(2) };

        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAsync<StorageUnavailableException>(() => PostgresJobStore.CreateAsync(options, null, cts.Token));

        Assert.True(clock.Elapsed < options.StartupTimeout + Slack, $"gave up after {clock.Elapsed}");
    }

    /// <summary>Applies <paramref name="selection"/> to the store's sessions waiting on a lock and counts them.</summary>
    private static async Task<int> CountAsync(NpgsqlConnection connection, string selection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"SELECT count({selection}) FROM pg_stat_activity " +
            "WHERE datname = current_database() AND application_name = 'chronoq' AND wait_event_type = 'Lock'",
            connection);
        return (int)(long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
