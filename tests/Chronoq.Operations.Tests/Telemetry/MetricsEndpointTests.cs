using System.Net;
using Chronoq.Protocol.V1;
using Chronoq.Sdk;
using Chronoq.Service.Health;
using Chronoq.Testing;
using Grpc.Health.V1;
using Microsoft.Extensions.DependencyInjection;

namespace Chronoq.Operations.Tests.Telemetry;

/// <summary>/metrics, /healthz and /readyz of a live server after real operations.</summary>
[Collection(ProcessWideTelemetryCollection.Name)]
public sealed class MetricsEndpointTests : IAsyncLifetime
{
    private readonly HttpClient _http = new();
    private LoopbackServer _server = null!;
    private ChronoqClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await LoopbackServer.StartAsync();
        _client = new ChronoqClient(ChronoqClientOptions.Default with { Address = _server.GrpcAddress, EnableBatching = false, DefaultDeadline = TimeSpan.FromSeconds(10) });
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        _http.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Metrics_AfterPutsReservesAndABury_ReportsJobsByStateAndTheCounters()
    {
        var before = await PrometheusScrape.GetAsync(_http, _server.HttpAddress);
        await _client.PutAsync("metrics-a", "1"u8.ToArray());
        await _client.PutAsync("metrics-a", "2"u8.ToArray());
        await _client.PutAsync("metrics-a", "3"u8.ToArray(), new PutOptions { Delay = TimeSpan.FromHours(1) });
        await _client.PutAsync("metrics-b", "4"u8.ToArray());
        var reserved = await _client.ReserveOneAsync("metrics-a", TimeSpan.FromSeconds(5));
        Assert.NotNull(reserved);
        await reserved.BuryAsync();
        var held = await _client.ReserveOneAsync("metrics-a", TimeSpan.FromSeconds(5));
        Assert.NotNull(held);

        var scrape = await PrometheusScrape.GetAsync(_http, _server.HttpAddress);

        Assert.Equal("text/plain", scrape.ContentType?.MediaType);
        Assert.Contains(scrape.ContentType!.Parameters, p => p.Name == "version" && p.Value == "0.0.4");
        Assert.Equal(0, scrape.Value(Jobs("ready", "metrics-a")));
        Assert.Equal(1, scrape.Value(Jobs("delayed", "metrics-a")));
        Assert.Equal(1, scrape.Value(Jobs("reserved", "metrics-a")));
        Assert.Equal(1, scrape.Value(Jobs("buried", "metrics-a")));
        Assert.Equal(1, scrape.Value(Jobs("ready", "metrics-b")));
        Assert.Equal(3, scrape.Value("chronoq_jobs_put_total{chronoq_topic=\"metrics-a\"}"));
        Assert.Equal(1, scrape.Value("chronoq_jobs_put_total{chronoq_topic=\"metrics-b\"}"));
        Assert.Equal(1, scrape.Value("chronoq_jobs_buried_total") - before.Value("chronoq_jobs_buried_total"));
        Assert.Contains("# TYPE chronoq_jobs gauge\n", scrape.Text, StringComparison.Ordinal);
        Assert.Contains("# TYPE chronoq_jobs_put_total counter\n", scrape.Text, StringComparison.Ordinal);
        Assert.Contains("# HELP chronoq_jobs Live jobs by topic and state.\n", scrape.Text, StringComparison.Ordinal);

        // Two deliveries, each a few milliseconds after the job became ready at most.
        Assert.Contains("# TYPE chronoq_jobs_lateness_seconds histogram\n", scrape.Text, StringComparison.Ordinal);
        Assert.Equal(2, scrape.Value("chronoq_jobs_lateness_seconds_count{chronoq_topic=\"metrics-a\"}"));
        Assert.Equal(2, scrape.Value("chronoq_jobs_lateness_seconds_bucket{chronoq_topic=\"metrics-a\",le=\"+Inf\"}"));
        Assert.Equal(2, scrape.Value("chronoq_jobs_lateness_seconds_bucket{chronoq_topic=\"metrics-a\",le=\"60\"}"));

        // The delayed job's topic timer and the held job's TTR are in the wheel.
        Assert.True(scrape.Value("chronoq_timer_wheel_size") >= 2, scrape.Text);

        // The body cache gauge is published by every engine turn (process-wide, so only its presence
        // is this server's: other tests' engines publish to the same gauge).
        Assert.Contains("# TYPE chronoq_body_cache_size_bytes gauge\n", scrape.Text, StringComparison.Ordinal);
        Assert.True(scrape.Value("chronoq_body_cache_size_bytes") >= 0, scrape.Text);
    }

    [Fact]
    public async Task Metrics_RuntimeMeter_ReportsGcCollectionsByGenerationWorkingSetAndThreadPool()
    {
        // A full collection first, so the gen2 count is at least 1 whatever ran before.
        GC.Collect();

        var scrape = await PrometheusScrape.GetAsync(_http, _server.HttpAddress);

        Assert.Contains("# TYPE dotnet_gc_collections_total counter\n", scrape.Text, StringComparison.Ordinal);
        foreach (var generation in new[] { "gen0", "gen1", "gen2" })
        {
            Assert.True(scrape.Samples.ContainsKey($"dotnet_gc_collections_total{{gc_heap_generation=\"{generation}\"}}"), scrape.Text);
        }

        Assert.True(scrape.Value("dotnet_gc_collections_total{gc_heap_generation=\"gen2\"}") >= 1, scrape.Text);
        Assert.Contains("# TYPE dotnet_process_memory_working_set_bytes gauge\n", scrape.Text, StringComparison.Ordinal);
        Assert.True(scrape.Value("dotnet_process_memory_working_set_bytes") > 0, scrape.Text);

        // The runtime declares these two as counters though they fall; /metrics makes them gauges.
        Assert.Contains("# TYPE dotnet_thread_pool_queue_length gauge\n", scrape.Text, StringComparison.Ordinal);
        Assert.True(scrape.Samples.TryGetValue("dotnet_thread_pool_queue_length", out var queued) && queued >= 0, scrape.Text);
        Assert.Contains("# TYPE dotnet_thread_pool_thread_count gauge\n", scrape.Text, StringComparison.Ordinal);
        Assert.True(scrape.Value("dotnet_thread_pool_thread_count") >= 1, scrape.Text);
    }

    [Fact]
    public async Task Metrics_WaitingReserver_IsCountedOnItsTopic()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var waiting = _client.ReserveOneAsync("metrics-wait", TimeSpan.FromSeconds(15), stop.Token);
        var seen = 0.0;
        while (seen < 1 && !stop.IsCancellationRequested)
        {
            seen = (await PrometheusScrape.GetAsync(_http, _server.HttpAddress)).Value("chronoq_reservers_waiting{chronoq_topic=\"metrics-wait\"}");
            await Task.Delay(20, stop.Token);
        }

        Assert.Equal(1, seen);
        await _client.PutAsync("metrics-wait", "x"u8.ToArray());
        Assert.NotNull(await waiting);
        Assert.Equal(0, (await PrometheusScrape.GetAsync(_http, _server.HttpAddress)).Value("chronoq_reservers_waiting{chronoq_topic=\"metrics-wait\"}"));
    }

    [Fact]
    public async Task Healthz_WhileRunning_IsOk()
    {
        using var response = await _http.GetAsync(new Uri(_server.HttpAddress, "/healthz"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok\n", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Readyz_FollowsTheChronoqServiceHealth()
    {
        using (var ready = await _http.GetAsync(new Uri(_server.HttpAddress, "/readyz")))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        var health = _server.Services.GetRequiredService<HealthStatusRegistry>();
        var service = ChronoqReflection.Descriptor.Services[0].FullName;
        health.SetStatus(service, HealthCheckResponse.Types.ServingStatus.NotServing);
        using (var notReady = await _http.GetAsync(new Uri(_server.HttpAddress, "/readyz")))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
            Assert.Contains("NotServing", await notReady.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // Liveness does not follow readiness: a storage outage must not get the pod restarted.
        using var alive = await _http.GetAsync(new Uri(_server.HttpAddress, "/healthz"));
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        health.SetStatus(service, HealthCheckResponse.Types.ServingStatus.Serving);
    }

    [Fact]
    public async Task UnknownPath_OnTheHttpEndpoint_IsNotFound()
    {
        using var response = await _http.GetAsync(new Uri(_server.HttpAddress, "/nothing-here"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private static string Jobs(string state, string topic) => $"chronoq_jobs{{chronoq_job_state=\"{state}\",chronoq_topic=\"{topic}\"}}";
}
