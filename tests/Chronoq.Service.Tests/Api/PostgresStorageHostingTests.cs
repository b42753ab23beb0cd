using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Chronoq.Protocol.Grpc;
using Chronoq.Protocol.V1;
using Chronoq.Service.Storage;
using Chronoq.Testing;
using Chronoq.Testing.Postgres;
using Google.Protobuf;
using Npgsql;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Chronoq.Service.Tests.Api;

/// <summary>The host with PostgreSQL storage: start-up against an unreachable database, and an outage while serving.</summary>
[Collection(PostgresApiCollection.Name)]
public sealed class PostgresStorageHostingTests(PostgresCluster cluster)
{
    private const string Topic = "outage";

    [Fact]
    public async Task Start_DatabaseUnreachable_FailsAfterStartupTimeoutNamingTheSettingWithoutThePassword()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var connectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = ClosedPort(),
            Database = "nowhere",
            Username = "chronoq",
            Password = "hunter2-secret",
            Timeout = 1,
        }.ConnectionString;
        var clock = Stopwatch.StartNew();

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => LoopbackServer.StartAsync(
            options =>
            {
                options.Configuration[ChronoqStorageOptions.ConnectionStringSetting] = connectionString;
                options.Configuration["Chronoq:Storage:StartupTimeout"] = "00:00:02";
            },
            timeout.Token));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"start-up gave up after {clock.Elapsed}; StartupTimeout is 2 s");
        var startupFailure = Flatten(failure).OfType<InvalidOperationException>().FirstOrDefault(e => e.Message.Contains("StartupTimeout", StringComparison.Ordinal));
        Assert.NotNull(startupFailure);
        Assert.Contains(ChronoqStorageOptions.ConnectionStringSetting, startupFailure.Message, StringComparison.Ordinal);
        Assert.Contains("nowhere", startupFailure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", failure.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("CommitTimeout", "00:00:00")]
    [InlineData("CopyThreshold", "0")]
    [InlineData("CommitsInFlight", "0")]
    [InlineData("CommitsInFlight", "17")]
    public async Task Start_InvalidStorageSetting_FailsNamingIt(string setting, string value)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => LoopbackServer.StartAsync(
            options =>
            {
                options.Configuration[ChronoqStorageOptions.ConnectionStringSetting] = "Host=127.0.0.1;Database=x";
                options.Configuration["Chronoq:Storage:" + setting] = value;
            },
            timeout.Token));

        Assert.Contains(Flatten(failure), e => e.Message.Contains("Chronoq:Storage:" + setting, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Put_DatabaseStopped_UnavailableWithinCommitTimeoutHealthNotServingThenRecoversWithoutRestart()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var database = await cluster.CreateDatabaseAsync("outage", timeout.Token);
        var commitTimeout = TimeSpan.FromSeconds(2);
        var server = await LoopbackServer.StartAsync(
            options =>
            {
                options.Configuration[ChronoqStorageOptions.ConnectionStringSetting] = database;
                options.Configuration["Chronoq:Storage:CommitTimeout"] = commitTimeout.ToString();
                // The store logs each commit it gives up on as an error: that is this test's point.
                options.IsExpectedError = log => log.Category.StartsWith("Chronoq.Storage.Postgres", StringComparison.Ordinal);
            },
            timeout.Token);
        var acknowledged = new List<ulong>();
        await using (server)
        {
            using var client = new ApiClient(server.GrpcAddress);
            for (var i = 0; i < 5; i++)
            {
                acknowledged.Add((await client.PutAsync(Job($"before{i}"))).Id);
            }

            await cluster.StopAsync();
            try
            {
                var clock = Stopwatch.StartNew();
                var failure = await ApiClient.FailsAsync(StatusCode.Unavailable, () => client.PutAsync(Job("during")));
                Assert.True(clock.Elapsed < commitTimeout + TimeSpan.FromSeconds(3), $"UNAVAILABLE after {clock.Elapsed}; CommitTimeout is {commitTimeout}");
                Assert.DoesNotContain("Npgsql", failure.Detail, StringComparison.Ordinal);
                Assert.Equal(ServingStatus.NotServing, await client.CheckHealthAsync());
                Assert.Equal(ServingStatus.Serving, await client.CheckHealthAsync(""));

                // A batch is refused whole, and a delete of an acknowledged job is refused, not half-done.
                await ApiClient.FailsAsync(StatusCode.Unavailable, () => client.PutBatchAsync(new PutBatchRequest { Jobs = { Job("b1"), Job("b2") } }));
                await ApiClient.FailsAsync(StatusCode.Unavailable, () => client.DeleteAsync(acknowledged[0]));
            }
            finally
            {
                await cluster.StartAsync();
            }

            // Health comes back by itself (the probe), then writes work again on the same server.
            var deadline = Stopwatch.StartNew();
            while (await client.CheckHealthAsync() != ServingStatus.Serving)
            {
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), "health did not return to SERVING");
                await Task.Delay(100);
            }

            for (var i = 0; i < 5; i++)
            {
                acknowledged.Add((await client.PutAsync(Job($"after{i}"))).Id);
            }

            Assert.Equal(10UL, (await client.GetTopicStatsAsync(Topic)).Ready);
        }

        // Nothing acknowledged was lost, and nothing refused was stored.
        await using var restarted = await LoopbackServer.StartAsync(options => options.Configuration[ChronoqStorageOptions.ConnectionStringSetting] = database, timeout.Token);
        using var again = new ApiClient(restarted.GrpcAddress);
        foreach (var id in acknowledged)
        {
            Assert.Equal(JobState.Ready, (await again.PeekAsync(id)).State);
        }

        Assert.Equal(10UL, (await again.GetTopicStatsAsync(Topic)).Ready);
    }

    /// <summary>
    /// beanstalkd's binlog_disk_full and binlog_disk_full_delete: PostgreSQL refuses new rows as a
    /// full disk would (SQLSTATE 53100, from a trigger on INSERT) while the server keeps running.
    /// A put is refused whole; a delete, which writes no row, is still made durable; once the
    /// storage takes rows again, puts succeed without a restart.
    /// </summary>
    [Fact]
    public async Task Put_StorageRefusesNewRowsAsOnAFullDisk_UnavailableDeletesStillDurableLaterPutsSucceed()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var database = await cluster.CreateDatabaseAsync("diskfull", timeout.Token);
        var server = await LoopbackServer.StartAsync(
            options =>
            {
                options.Configuration[ChronoqStorageOptions.ConnectionStringSetting] = database;
                options.Configuration["Chronoq:Storage:CommitTimeout"] = "00:00:01";
                // The store logs each commit it gives up on as an error: that is this test's point.
                options.IsExpectedError = log => log.Category.StartsWith("Chronoq.Storage.Postgres", StringComparison.Ordinal);
            },
            timeout.Token);
        ulong deletedWhileFull, deletedAfter, kept, putAfter;
        await using (server)
        {
            using var client = new ApiClient(server.GrpcAddress);
            deletedWhileFull = (await client.PutAsync(Job("a"))).Id;
            deletedAfter = (await client.PutAsync(Job("b"))).Id;
            kept = (await client.PutAsync(Job("c"))).Id;

            await ExecuteAsync(
                database,
                """
                CREATE FUNCTION chronoq.refuse_rows() RETURNS trigger LANGUAGE plpgsql AS
                $$BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; END$$;
                CREATE TRIGGER refuse_rows BEFORE INSERT ON chronoq.jobs FOR EACH ROW EXECUTE FUNCTION chronoq.refuse_rows();
                """,
                timeout.Token);

            await ApiClient.FailsAsync(StatusCode.Unavailable, () => client.PutAsync(Job("refused")));
            await ApiClient.FailsAsync(StatusCode.Unavailable, () => client.PutBatchAsync(new PutBatchRequest { Jobs = { Job("r1"), Job("r2") } }));
            Assert.Equal(3UL, (await client.GetTopicStatsAsync(Topic)).Ready);

            await WaitUntilServingAsync(client);
            await client.DeleteAsync(deletedWhileFull);

            await ExecuteAsync(database, "DROP TRIGGER refuse_rows ON chronoq.jobs", timeout.Token);
            await WaitUntilServingAsync(client);
            putAfter = (await client.PutAsync(Job("after"))).Id;
            await client.DeleteAsync(deletedAfter);
            Assert.Equal(2UL, (await client.GetTopicStatsAsync(Topic)).Ready);
        }

        // What was acknowledged is what is stored; nothing refused was.
        await using var restarted = await LoopbackServer.StartAsync(options => options.Configuration[ChronoqStorageOptions.ConnectionStringSetting] = database, timeout.Token);
        using var again = new ApiClient(restarted.GrpcAddress);
        await ApiClient.FailsAsync(StatusCode.NotFound, () => again.PeekAsync(deletedWhileFull));
        await ApiClient.FailsAsync(StatusCode.NotFound, () => again.PeekAsync(deletedAfter));
        Assert.Equal("c", (await again.PeekAsync(kept)).Body.ToStringUtf8());
        Assert.Equal("after", (await again.PeekAsync(putAfter)).Body.ToStringUtf8());
        Assert.Equal(2UL, (await again.GetTopicStatsAsync(Topic)).Ready);
    }

    private static async Task WaitUntilServingAsync(ApiClient client)
    {
        var clock = Stopwatch.StartNew();
        while (await client.CheckHealthAsync() != ServingStatus.Serving)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "health did not return to SERVING");
            await Task.Delay(100);
        }
    }

    private static async Task ExecuteAsync(string connectionString, string sql, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static PutRequest Job(string body) => new() { Topic = Topic, Body = ByteString.CopyFromUtf8(body) };

    private static IEnumerable<Exception> Flatten(Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            yield return e;
            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions.SelectMany(Flatten))
                {
                    yield return inner;
                }
            }
        }
    }

    private static int ClosedPort()
    {
        // Bound and released at once: nothing listens there during the test.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
