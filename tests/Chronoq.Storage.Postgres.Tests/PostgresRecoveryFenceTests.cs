using Chronoq.Core.Storage;
using Chronoq.Testing.Postgres;
using Chronoq.Testing.Server;
using Microsoft.Extensions.Logging;
using Npgsql;
using static Chronoq.Storage.Postgres.Tests.TestJobs;

namespace Chronoq.Storage.Postgres.Tests;

/// <summary>
/// Recovery first ends the sessions an earlier server of the same schema left behind, busy or idle
/// (a commit that could otherwise land after the read), and only those: a server of another schema
/// in the same database keeps its sessions, and the store's own pool still works afterwards. (The
/// whole kill -9 story runs in ServerKillInFlightCommitTests.)
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresRecoveryFenceTests(PostgresCluster cluster)
{
    [Fact]
    public async Task RecoverAsync_EndsBusySessionsOfItsSchemaOnly()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string db = await cluster.CreateDatabaseAsync("fence", cts.Token);
        await using var mine = await StoreAsync(db, cancellationToken: cts.Token);
        await using var other = await PostgresJobStore.CreateAsync(new PostgresStoreOptions { ConnectionString = db, Schema = "tenant_b" }, null, cts.Token);

        // The other schema's server is inside a commit that waits for a lock.
        await using var blocker = await OpenAsync(db, applicationName: "test", cts.Token);
        await using var hold = await blocker.BeginTransactionAsync(cts.Token);
        await using (var lockTable = new NpgsqlCommand("LOCK TABLE tenant_b.jobs IN SHARE MODE", blocker, hold))
        {
            await lockTable.ExecuteNonQueryAsync(cts.Token);
        }

        var otherCommit = other.CommitAsync(Batch(1, JobMutation.Upsert(Ready(1))), cts.Token).AsTask();
        int otherSession = await BusySessionAsync(db, "chronoq:tenant_b", cts.Token);

        // A session under this schema's name still running a statement: what a killed server leaves.
        await using var earlier = await OpenAsync(db, applicationName: "chronoq", cts.Token);
        await using var stillRunning = new NpgsqlCommand("SELECT pg_sleep(60)", earlier);
        var earlierStatement = stillRunning.ExecuteNonQueryAsync(cts.Token);
        int earlierSession = await BusySessionAsync(db, "chronoq", cts.Token);

        await mine.RecoverAsync(cts.Token);

        await Assert.ThrowsAnyAsync<Exception>(() => earlierStatement);
        Assert.False(await SessionExistsAsync(db, earlierSession, cts.Token));
        Assert.True(await SessionExistsAsync(db, otherSession, cts.Token));
        await hold.CommitAsync(cts.Token);
        await otherCommit;
        Assert.True(await SessionExistsAsync(db, otherSession, cts.Token)); // its commit ran on that session, not a new one
    }

    [Fact]
    public async Task RecoverAsync_IdleSessionUnderItsName_EndsIt()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string db = await cluster.CreateDatabaseAsync("fenceidle", cts.Token);
        await using var store = await StoreAsync(db, cancellationToken: cts.Token);

        // Idle in pg_stat_activity, yet a killed server's commit may still sit unread in its socket.
        await using var earlier = await OpenAsync(db, applicationName: "chronoq", cts.Token);
        int earlierSession = earlier.ProcessID;
        Assert.True(await SessionExistsAsync(db, earlierSession, cts.Token));

        await store.RecoverAsync(cts.Token);

        Assert.False(await SessionExistsAsync(db, earlierSession, cts.Token));
        await using var afterwards = new NpgsqlCommand("SELECT 1", earlier);
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => afterwards.ExecuteScalarAsync(cts.Token));
    }

    [Fact]
    public async Task RecoverAsync_SeveralEarlierSessions_EndsAllTogetherAndReportsThem()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string db = await cluster.CreateDatabaseAsync("fencemany", cts.Token);
        var logs = new CapturingLoggerProvider(LogLevel.Information);
        await using var store = await StoreAsync(db, cancellationToken: cts.Token, logger: logs.CreateLogger("store"));

        var earlier = new List<NpgsqlConnection>();
        var statements = new List<Task>();
        var commands = new List<NpgsqlCommand>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                var busy = await OpenAsync(db, applicationName: "chronoq", cts.Token);
                earlier.Add(busy);
                var sleep = new NpgsqlCommand("SELECT pg_sleep(60)", busy);
                commands.Add(sleep);
                statements.Add(sleep.ExecuteNonQueryAsync(cts.Token));
                await BusySessionAsync(db, "chronoq", cts.Token, pid: busy.ProcessID);
            }

            earlier.Add(await OpenAsync(db, applicationName: "chronoq", cts.Token));
            var sessions = earlier.Select(static connection => connection.ProcessID).ToArray();

            await store.RecoverAsync(cts.Token);

            foreach (var statement in statements)
            {
                await Assert.ThrowsAnyAsync<Exception>(() => statement);
            }

            foreach (var session in sessions)
            {
                Assert.False(await SessionExistsAsync(db, session, cts.Token), $"session {session} is still there");
            }

            // Reported once, every one of the four counted.
            var ended = Assert.Single(logs.Logs, static log => log.EventId.Name == "EarlierServerSessionsEnded");
            Assert.StartsWith("Ended 4 session(s)", ended.Message);
        }
        finally
        {
            foreach (var command in commands)
            {
                await command.DisposeAsync();
            }

            foreach (var connection in earlier)
            {
                await connection.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task RecoverAsync_StoreHeldSeveralPooledConnections_NextCommitNeedsNoRetry()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string db = await cluster.CreateDatabaseAsync("fencepool", cts.Token);
        var logs = new CapturingLoggerProvider(LogLevel.Debug);
        await using var store = await StoreAsync(db, cancellationToken: cts.Token, logger: logs.CreateLogger("store"));

        // Reads held up by a lock each keep a pooled connection busy, so the pool opens three;
        // once they end, it holds three idle ones under the name the fence ends sessions by.
        await using (var blocker = await OpenAsync(db, applicationName: "test", cts.Token))
        {
            await using var hold = await blocker.BeginTransactionAsync(cts.Token);
            await using (var lockTable = new NpgsqlCommand("LOCK TABLE chronoq.jobs IN ACCESS EXCLUSIVE MODE", blocker, hold))
            {
                await lockTable.ExecuteNonQueryAsync(cts.Token);
            }

            var reads = Enumerable.Range(0, 3).Select(_ => store.ReadBodiesAsync([1], cts.Token).AsTask()).ToArray();
            while (await ScalarAsync<long>(db, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'chronoq' AND wait_event_type = 'Lock'", cts.Token) < 3)
            {
                await Task.Delay(20, cts.Token);
            }

            await hold.CommitAsync(cts.Token);
            await Task.WhenAll(reads);
        }

        await store.RecoverAsync(cts.Token);
        await store.CommitAsync(Batch(1, JobMutation.Upsert(Ready(1))), cts.Token);
        await store.CommitAsync(Batch(2, JobMutation.Upsert(Ready(2))), cts.Token);

        // A commit that met a connection the fence had ended would have been retried, logging why.
        Assert.DoesNotContain(logs.Logs, static log => log.Exception is not null);
        Assert.Equal(2L, await ScalarAsync<long>(db, "SELECT count(*) FROM chronoq.jobs", cts.Token));
    }

    private static async Task<NpgsqlConnection> OpenAsync(string db, string applicationName, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(db) { Pooling = false, ApplicationName = applicationName }.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    /// <summary>Waits until a session under <paramref name="applicationName"/> (the one with <paramref name="pid"/>, if given) runs a statement; its pid.</summary>
    private static async Task<int> BusySessionAsync(string db, string applicationName, CancellationToken cancellationToken, int? pid = null)
    {
        while (true)
        {
            await using var connection = await OpenAsync(db, "test", cancellationToken);
            await using var command = new NpgsqlCommand(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1 AND state = 'active' AND ($2::int IS NULL OR pid = $2)", connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = applicationName });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)pid ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
            if (await command.ExecuteScalarAsync(cancellationToken) is int busy)
            {
                return busy;
            }

            await Task.Delay(20, cancellationToken);
        }
    }

    private static async Task<bool> SessionExistsAsync(string db, int pid, CancellationToken cancellationToken) =>
        await ScalarAsync<long>(db, $"SELECT count(*) FROM pg_stat_activity WHERE pid = {pid}", cancellationToken) == 1;
}
