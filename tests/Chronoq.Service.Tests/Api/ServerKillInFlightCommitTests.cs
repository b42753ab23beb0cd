using Chronoq.Protocol.Grpc;
using Chronoq.Protocol.V1;
using Chronoq.Service.Storage;
using Chronoq.Testing;
using Chronoq.Testing.Postgres;
using Google.Protobuf;
using Npgsql;

namespace Chronoq.Service.Tests.Api;

/// <summary>
/// A server killed while its commit still runs in PostgreSQL: the session of the dead server goes
/// on, and its commit must not land after a restarted server has read the table back (recovery
/// ends such sessions first, PostgresJobStore.EndEarlierServerSessionsAsync).
/// </summary>
[Collection(PostgresApiCollection.Name)]
public sealed class ServerKillInFlightCommitTests(PostgresCluster cluster)
{
    private const string Topic = "inflight";

    [Fact]
    public async Task Kill9_CommitStillRunningInPostgres_RestartedServerSeesItOrItNeverLands()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var database = await cluster.CreateDatabaseAsync("inflight", timeout.Token);
        var environment = new Dictionary<string, string> { ["ConnectionStrings__Chronoq"] = database };
        var process = await ServerProcess.StartAsync(environment, timeout.Token);
        await using (process)
        {
            using var client = new ApiClient(process.GrpcAddress);
            await client.PutAsync(new PutRequest { Topic = Topic, Body = ByteString.CopyFromUtf8("before") });

            // Stands for a commit that is slow in PostgreSQL (a WAL flush stalled on a busy disk, a
            // lock wait): writes to the jobs table wait, reads (recovery's COPY) do not.
            await using var blocker = new NpgsqlConnection(database);
            await blocker.OpenAsync(timeout.Token);
            await using var hold = await blocker.BeginTransactionAsync(timeout.Token);
            await using (var lockTable = new NpgsqlCommand("LOCK TABLE chronoq.jobs IN SHARE MODE", blocker, hold))
            {
                await lockTable.ExecuteNonQueryAsync(timeout.Token);
            }

            var unanswered = client.PutAsync(new PutRequest { Topic = Topic, Body = ByteString.CopyFromUtf8("unanswered") });
            await WaitForLockWaiterAsync(database, timeout.Token);
            await process.KillAsync();
            await Assert.ThrowsAsync<RpcException>(() => unanswered);

            // Without the fence at recovery the dead session's row lands with the id the restarted
            // server hands out next: a duplicate key, reported by the assertion below rather than by
            // the server's disposal (which would hide the assertion's message).
            await using var restarted = await LoopbackServer.StartAsync(
                options =>
                {
                    options.Configuration[ChronoqStorageOptions.ConnectionStringSetting] = database;
                    options.IsExpectedError = static log => log.Exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };
                },
                timeout.Token);
            using var verify = new ApiClient(restarted.GrpcAddress);

            // The dead server's commit goes on now, in its own PostgreSQL session.
            await hold.CommitAsync(timeout.Token);
            await WaitForNoLockWaiterAsync(database, timeout.Token);
            var stored = await StoredBodiesAsync(database, timeout.Token);

            // The restarted server knows every job the table holds, and its own puts work. (Without
            // the fence: the unanswered put's row landed after recovery with the id the restarted
            // server hands out next, so that put failed UNAVAILABLE, duplicate key, and the row was
            // invisible to it until the next restart.)
            var known = new List<string>();
            foreach (var id in stored.Keys)
            {
                try
                {
                    known.Add($"{id}:'{(await verify.PeekAsync(id)).Body.ToStringUtf8()}'");
                }
                catch (RpcException failure) when (failure.StatusCode == StatusCode.NotFound)
                {
                }
            }

            var table = string.Join(", ", stored.Select(static row => $"{row.Key}:'{row.Value}'"));
            RpcException? putFailure = null;
            try
            {
                await verify.PutAsync(new PutRequest { Topic = Topic, Body = ByteString.CopyFromUtf8("after restart") });
            }
            catch (RpcException failure)
            {
                putFailure = failure;
            }

            Assert.True(
                putFailure is null && known.Count == stored.Count,
                $"the table holds {table}; the restarted server knows {string.Join(", ", known)}; its next put: {putFailure?.StatusCode.ToString() ?? "OK"} {putFailure?.Detail}");
        }
    }

    private static async Task WaitForLockWaiterAsync(string database, CancellationToken cancellationToken)
    {
        while (await LockWaitersAsync(database, cancellationToken) == 0)
        {
            await Task.Delay(20, cancellationToken);
        }
    }

    private static async Task WaitForNoLockWaiterAsync(string database, CancellationToken cancellationToken)
    {
        while (await LockWaitersAsync(database, cancellationToken) != 0)
        {
            await Task.Delay(20, cancellationToken);
        }

        // The session's COMMIT (its WAL flush) follows the lock grant.
        await Task.Delay(500, cancellationToken);
    }

    private static async Task<long> LockWaitersAsync(string database, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(database) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'chronoq' AND wait_event_type = 'Lock'",
            connection);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task<SortedDictionary<ulong, string>> StoredBodiesAsync(string database, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(database) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT id, convert_from(body, 'UTF8') FROM chronoq.jobs ORDER BY id", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new SortedDictionary<ulong, string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add((ulong)reader.GetInt64(0), reader.GetString(1));
        }

        return rows;
    }
}
