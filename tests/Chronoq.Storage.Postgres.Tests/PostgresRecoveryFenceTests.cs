using Chronoq.Core.Storage;
using Chronoq.Testing.Postgres;
using Npgsql;
using static Chronoq.Storage.Postgres.Tests.TestJobs;

namespace Chronoq.Storage.Postgres.Tests;

/// <summary>
/// Recovery first ends the busy sessions an earlier server of the same schema left behind (a commit
/// that could otherwise land after the read), and only those: a server of another schema in the
/// same database keeps its sessions. (The whole kill -9 story runs in ServerKillInFlightCommitTests.)
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

    private static async Task<NpgsqlConnection> OpenAsync(string db, string applicationName, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(db) { Pooling = false, ApplicationName = applicationName }.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    /// <summary>Waits until a session under <paramref name="applicationName"/> runs a statement; its pid.</summary>
    private static async Task<int> BusySessionAsync(string db, string applicationName, CancellationToken cancellationToken)
    {
        while (true)
        {
            await using var connection = await OpenAsync(db, "test", cancellationToken);
            await using var command = new NpgsqlCommand(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1 AND state = 'active'", connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = applicationName });
            if (await command.ExecuteScalarAsync(cancellationToken) is int pid)
            {
                return pid;
            }

            await Task.Delay(20, cancellationToken);
        }
    }

    private static async Task<bool> SessionExistsAsync(string db, int pid, CancellationToken cancellationToken) =>
        await ScalarAsync<long>(db, $"SELECT count(*) FROM pg_stat_activity WHERE pid = {pid}", cancellationToken) == 1;
}
