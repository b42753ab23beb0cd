using Chronoq.Protocol.Grpc;
using Chronoq.Protocol.V1;
using Chronoq.Service.Storage;
using Chronoq.Testing;
using Chronoq.Testing.Postgres;
using Npgsql;

namespace Chronoq.Service.Tests.Api;

/// <summary>
/// The engine's bounded command queue (Chronoq:Engine:MaxQueuedCommands) seen over gRPC. A lock on
/// the jobs table taken by another session holds the group commit, and with it the engine loop, for
/// as long as the test wants; only a durable store can be held like that.
/// </summary>
[Collection(PostgresApiCollection.Name)]
public sealed class BackpressureApiTests(PostgresCluster cluster)
{
    private const int MaxQueued = 2;

    [Fact]
    public async Task Put_EngineQueueFull_ResourceExhaustedNamingTheSetting_QueuedPutsSucceedOnceStorageCatchesUp()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var connectionString = await cluster.CreateDatabaseAsync("backpressure", timeout.Token);
        await using var server = await LoopbackServer.StartAsync(options =>
        {
            options.Configuration[ChronoqStorageOptions.ConnectionStringSetting] = connectionString;
            options.Configuration["Chronoq:Storage:CommitTimeout"] = "00:00:30";
            options.Configuration["Chronoq:Engine:MaxQueuedCommands"] = MaxQueued.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }, timeout.Token);
        using var client = new ApiClient(server.GrpcAddress);
        await client.PutAsync(new PutRequest { Topic = "t" });

        await using var locker = new NpgsqlConnection(connectionString);
        await locker.OpenAsync(timeout.Token);
        await using var transaction = await locker.BeginTransactionAsync(timeout.Token);
        await using (var lockTable = new NpgsqlCommand("LOCK TABLE chronoq.jobs IN EXCLUSIVE MODE", locker, transaction))
        {
            await lockTable.ExecuteNonQueryAsync(timeout.Token);
        }

        var blocked = client.PutAsync(new PutRequest { Topic = "t" });
        await WaitUntilACommitWaitsForTheLockAsync(locker, transaction, timeout.Token);

        // The engine loop takes nothing while its commit waits: MaxQueued puts fill the queue and
        // every other one is refused at once.
        var puts = Enumerable.Range(0, 10).Select(_ => client.PutAsync(new PutRequest { Topic = "t" })).ToArray();
        while (puts.Count(put => put.IsCompleted) < puts.Length - MaxQueued)
        {
            await Task.Delay(10, timeout.Token);
        }

        var refused = puts.Where(put => put.IsCompleted).ToArray();
        foreach (var put in refused)
        {
            var failure = await ApiClient.FailsAsync(StatusCode.ResourceExhausted, () => put);
            Assert.Contains("Chronoq:Engine:MaxQueuedCommands", failure.Detail, StringComparison.Ordinal);
        }

        await Task.Delay(100, timeout.Token);
        var queued = puts.Where(put => !put.IsCompleted).ToArray();
        Assert.Equal(MaxQueued, queued.Length);
        Assert.False(blocked.IsCompleted);

        await transaction.RollbackAsync(timeout.Token);
        await blocked.WaitAsync(timeout.Token);
        foreach (var put in queued)
        {
            Assert.True((await put.WaitAsync(timeout.Token)).Id > 0);
        }

        // The queue has room again.
        await client.PutAsync(new PutRequest { Topic = "t" });
        var stats = await client.GetTopicStatsAsync("t");
        Assert.Equal((ulong)(1 + 1 + MaxQueued + 1), stats.TotalPuts);
    }

    private static async Task WaitUntilACommitWaitsForTheLockAsync(NpgsqlConnection locker, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var waiting = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'",
            locker,
            transaction);
        while ((long)(await waiting.ExecuteScalarAsync(cancellationToken))! == 0)
        {
            await Task.Delay(10, cancellationToken);
        }
    }
}
