using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Chronoq.Core.Storage;
using Chronoq.Testing.Postgres;
using Npgsql;
using static Chronoq.Storage.Postgres.Tests.TestJobs;

namespace Chronoq.Storage.Postgres.Tests;

/// <summary>
/// The commit's statements look rows up by primary key however the table looked when PostgreSQL
/// planned them: a generic plan made for a fresh, near-empty table must not scan the whole table
/// once churn has filled it with dead rows.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresPlanTests(PostgresCluster cluster)
{
    private const int Commits = 300;
    private const int JobsPerCommit = 20;

    [Fact]
    public async Task CommitAsync_ChurnOnAFreshTable_DeletesNeverScanTheTable()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string db = await cluster.CreateDatabaseAsync("plans", cts.Token);
        long deletes = 0;
        await using (var store = await StoreAsync(db, cancellationToken: cts.Token))
        {
            // Autovacuum would analyze the table at a time of its choosing, and its new statistics
            // make PostgreSQL plan the statements again; the fresh table's plans must hold up alone.
            await ScalarAsync<object>(db, "ALTER TABLE chronoq.jobs SET (autovacuum_enabled = false)", cts.Token);

            // The queue's steady state: each commit puts a few jobs and deletes the ones put before.
            ulong nextId = 1;
            for (int commit = 0; commit < Commits; commit++)
            {
                var batch = new MutationBatch();
                for (int i = 0; i < JobsPerCommit; i++, nextId++)
                {
                    batch.Mutations.Add(JobMutation.Upsert(Ready(nextId, bodyBytes: 100)));
                    if (nextId > JobsPerCommit)
                    {
                        batch.Mutations.Add(JobMutation.Delete(nextId - JobsPerCommit));
                        deletes++;
                    }
                }

                batch.IdHighWater = nextId - 1;
                await store.CommitAsync(batch, cts.Token);
            }
        }

        // The store's sessions ended with it, and a session reports its table statistics when it ends.
        var (deleted, seqScans, rowsScanned) = await TableStatisticsAsync(db, expectedDeletes: deletes, cts.Token);
        long deadRows = await ScalarAsync<long>(db, "SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'jobs'", cts.Token);
        Assert.Equal(deletes, deleted);
        Assert.True(deadRows >= deletes / 2, $"the churn left only {deadRows} dead rows; the table did not grow as the test needs");
        // The schema migration's index builds scan the then-empty table (2 scans, 0 rows); before
        // the fix, every commit's DELETE scanned it as well (301).
        Assert.True(
            seqScans < Commits / 10,
            $"{seqScans} sequential scans of the jobs table reading {rowsScanned} live rows, over {Commits} commits; each reads every page of a table with {deadRows} dead rows");
    }

    [Theory]
    [InlineData(null, "SET enable_seqscan = off; SET jit = off")]
    [InlineData("-c search_path=app", "SET enable_seqscan = off; SET jit = off")]
    [InlineData("-c jit=on", "SET enable_seqscan = off")]
    [InlineData("-c jit_above_cost=10 -c ENABLE_SEQSCAN=on", "SET jit = off")]
    [InlineData("-c enable_seqscan=on -c jit=on", null)]
    [InlineData("--enable-seqscan=on", "SET jit = off")]
    public void PlannerSettingsStatement_SetsWhatTheConnectionStringDoesNot(string? options, string? expected) =>
        Assert.Equal(expected, PostgresJobStore.PlannerSettingsStatement(options));

    /// <summary>
    /// Every statement a commit or a body read runs, planned generically (as a prepared statement
    /// may be for good) on a fresh, near-empty table, under the settings the store's sessions run
    /// with: none may read the jobs table whole. A statement added later is checked by adding it here.
    /// </summary>
    [Fact]
    public async Task GenericPlansOnAFreshTable_UnderTheStoresSettings_LookJobsUpByIndex()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string db = await cluster.CreateDatabaseAsync("generic", cts.Token);
        await using (var store = await StoreAsync(db, cancellationToken: cts.Token))
        {
            await store.CommitAsync(Batch(2, JobMutation.Upsert(Ready(1)), JobMutation.Upsert(Ready(2))), cts.Token);
        }

        var sql = new Internal.StoreSql(PostgresStoreOptions.DefaultSchema);
        string[] statements = [sql.DeleteJobs, sql.InsertJobs, sql.UpsertJobs, sql.UpsertJobsKeepingBody, sql.SelectBodies, sql.RaiseHighWater];
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(db) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(cts.Token);
        await ExecuteAsync(connection, PostgresJobStore.PlannerSettingsStatement(null)! + "; SET plan_cache_mode = force_generic_plan", cts.Token);
        for (int i = 0; i < statements.Length; i++)
        {
            // Each $n with the type its cast names, else inferred from where it is used; one the
            // statement never reads (the body in UpsertJobsKeepingBody) needs some type all the same.
            var used = Regex.Matches(statements[i], @"\$(\d+)(?:::(\w+\[\]))?")
                .GroupBy(static m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))
                .ToDictionary(static g => g.Key, static g => g.Select(static m => m.Groups[2].Value).FirstOrDefault(static t => t.Length > 0) ?? "unknown");
            int count = used.Keys.Max();
            var parameters = Enumerable.Range(1, count).Select(n => used.GetValueOrDefault(n, "bytea")).ToArray();
            await ExecuteAsync(connection, $"PREPARE s{i} ({string.Join(", ", parameters)}) AS {statements[i]}", cts.Token);

            await using var explain = new NpgsqlCommand($"EXPLAIN EXECUTE s{i} ({string.Join(", ", Enumerable.Repeat("NULL", count))})", connection);
            var plan = new StringBuilder();
            await using (var reader = await explain.ExecuteReaderAsync(cts.Token))
            {
                while (await reader.ReadAsync(cts.Token))
                {
                    plan.AppendLine(reader.GetString(0));
                }
            }

            Assert.True(!plan.ToString().Contains("Seq Scan on jobs", StringComparison.Ordinal), $"{statements[i]}\n{plan}");
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<(long Deleted, long SeqScans, long RowsScanned)> TableStatisticsAsync(string db, long expectedDeletes, CancellationToken cancellationToken)
    {
        while (true)
        {
            await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(db) { Pooling = false }.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT n_tup_del, seq_scan, seq_tup_read FROM pg_stat_user_tables WHERE relname = 'jobs'", connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            var statistics = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
            if (statistics.Item1 >= expectedDeletes)
            {
                return statistics;
            }

            // Sessions report their counts asynchronously as they end; bounded by the test's token.
            await Task.Delay(50, cancellationToken);
        }
    }
}
