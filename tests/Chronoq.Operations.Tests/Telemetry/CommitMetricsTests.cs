using System.Collections.Concurrent;
using System.Diagnostics;
using Chronoq.Core.Telemetry;
using Chronoq.Operations.Tests.Shutdown;
using Chronoq.Protocol.V1;
using Chronoq.Sdk;
using Chronoq.Service.Storage;
using Chronoq.Testing;
using Chronoq.Testing.Postgres;
using Google.Protobuf;

namespace Chronoq.Operations.Tests.Telemetry;

/// <summary>The storage commit histograms, which only a durable store moves. (No other in-process test here commits to PostgreSQL.)</summary>
[Collection(PostgresCollection.Name)]
public sealed class CommitMetricsTests(PostgresCluster postgres)
{
    [Fact]
    public async Task Metrics_AfterDurablePuts_CountCommitsTheirSizesAndDurations()
    {
        var database = await postgres.CreateDatabaseAsync("metrics");
        await using var server = await LoopbackServer.StartAsync(options =>
            options.Configuration["ConnectionStrings:" + ChronoqStorageOptions.ConnectionStringName] = database);
        await using var client = new ChronoqClient(ChronoqClientOptions.Default with { Address = server.GrpcAddress, EnableBatching = false, DefaultDeadline = TimeSpan.FromSeconds(15) });
        using var http = new HttpClient();
        var before = await PrometheusScrape.GetAsync(http, server.HttpAddress);

        await client.PutBatchAsync(Enumerable.Range(0, 5).Select(i => new PutRequest { Topic = "commits", Body = ByteString.CopyFromUtf8($"b{i}") }));
        await client.PutAsync("commits", "single"u8.ToArray());
        var after = await PrometheusScrape.GetAsync(http, server.HttpAddress);

        double Delta(string series) => after.Value(series) - before.Value(series);
        Assert.True(Delta("chronoq_storage_commit_batch_size_count") >= 2, after.Text);
        Assert.True(Delta("chronoq_storage_commit_batch_size_sum") >= 6, after.Text);
        // The batch of five lands in the (4, 8] bucket.
        Assert.True(Delta("chronoq_storage_commit_batch_size_bucket{le=\"8\"}") - Delta("chronoq_storage_commit_batch_size_bucket{le=\"4\"}") >= 1, after.Text);
        Assert.Equal(Delta("chronoq_storage_commit_batch_size_count"), Delta("chronoq_storage_commit_duration_seconds_count"));
        Assert.True(Delta("chronoq_storage_commit_duration_seconds_sum") > 0, after.Text);
        Assert.Contains("# TYPE chronoq_storage_commit_duration_seconds histogram\n", after.Text, StringComparison.Ordinal);
        Assert.Equal(6, after.Value("chronoq_jobs{chronoq_job_state=\"ready\",chronoq_topic=\"commits\"}"));
    }

    [Fact]
    public async Task Metrics_DurableServer_ReportNpgsqlsPoolAndOperationsUnderTheApplicationName()
    {
        const string Secret = "not-for-metrics";
        var database = await postgres.CreateDatabaseAsync("npgsqlmetrics");
        await using var server = await LoopbackServer.StartAsync(options =>
            options.Configuration["ConnectionStrings:" + ChronoqStorageOptions.ConnectionStringName] = database + ";Password=" + Secret);
        await using var client = new ChronoqClient(ChronoqClientOptions.Default with { Address = server.GrpcAddress, EnableBatching = false, DefaultDeadline = TimeSpan.FromSeconds(15) });
        using var http = new HttpClient();
        const string Pool = "db_client_connection_pool_name=\"chronoq\"";
        var before = await PrometheusScrape.GetAsync(http, server.HttpAddress);

        await client.PutAsync("npgsql", "one"u8.ToArray());
        await client.PutAsync("npgsql", "two"u8.ToArray());
        var after = await PrometheusScrape.GetAsync(http, server.HttpAddress);

        // Other tests' servers in this process share Npgsql's meter and the name, so deltas and lower bounds only.
        var target = new Npgsql.NpgsqlConnectionStringBuilder(database);
        string operations = $"db_client_operation_duration_seconds_count{{{Pool},db_system_name=\"postgresql\",server_address=\"{target.Host}\",server_port=\"{target.Port}\"}}";
        Assert.True(after.Value(operations) - before.Value(operations) >= 2, after.Text);
        Assert.Contains("# TYPE db_client_operation_duration_seconds histogram\n", after.Text, StringComparison.Ordinal);
        Assert.Contains("# TYPE db_client_connection_count gauge\n", after.Text, StringComparison.Ordinal);
        Assert.True(after.Value($"db_client_connection_count{{{Pool},db_client_connection_state=\"idle\"}}") >= 1, after.Text);
        Assert.True(after.Value($"db_client_connection_max{{{Pool}}}") >= 1, after.Text);
        Assert.DoesNotContain(Secret, after.Text, StringComparison.Ordinal);
        // Npgsql's default pool name is the connection string (without its password).
        Assert.DoesNotContain("Database=" + target.Database, after.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DurablePut_IsTracedAsACommitSpanWithItsBatchSize()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = static source => source.Name == ChronoqInstrumentation.ActivitySourceName,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        var database = await postgres.CreateDatabaseAsync("spans");
        await using var server = await LoopbackServer.StartAsync(options =>
            options.Configuration["ConnectionStrings:" + ChronoqStorageOptions.ConnectionStringName] = database);
        await using var client = new ChronoqClient(ChronoqClientOptions.Default with { Address = server.GrpcAddress, EnableBatching = false, DefaultDeadline = TimeSpan.FromSeconds(15) });

        await client.PutBatchAsync(Enumerable.Range(0, 3).Select(i => new PutRequest { Topic = "spans", Body = ByteString.CopyFromUtf8($"b{i}") }));

        Assert.Contains(spans, span => span.DisplayName == "chronoq.storage.commit" && Equals(span.GetTagItem("chronoq.storage.commit.batch_size"), 3));
    }
}
