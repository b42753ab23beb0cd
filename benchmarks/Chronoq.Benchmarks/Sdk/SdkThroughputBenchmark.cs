using System.Diagnostics;
using System.Globalization;
using Chronoq.Sdk;
using Chronoq.Testing;
using Chronoq.Testing.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Chronoq.Benchmarks.Sdk;

/// <summary>
/// SDK throughput, end to end: concurrent producers calling <see cref="ChronoqClient.PutAsync(string, ReadOnlyMemory{byte}, PutOptions?, CancellationToken)"/>
/// (coalesced into PutBatch by the client), then a hosted worker with a no-op handler draining
/// every job (deletes coalesced into DeleteBatch). Against <c>--address</c>, or an in-process
/// server with memory or PostgreSQL (throwaway cluster) storage.
/// </summary>
public static class SdkThroughputBenchmark
{
    public const string Command = "sdk-throughput";

    public static async Task RunAsync(string[] args)
    {
        var producers = IntArgument(args, "--producers", 32);
        // 1: each producer awaits each put before the next. K > 1: each producer starts K puts,
        // then awaits them all, so up to producers x K puts are in flight.
        var inFlight = IntArgument(args, "--in-flight", 1);
        var jobs = IntArgument(args, "--jobs", 100_000);
        // Puts and drains rounds of jobs on other topics for at least this long before measuring,
        // so the measured phases run fully compiled code. Tiered compilation (with PGO) takes
        // seconds on a busy 2-core machine: after a 5,000-job warm-up a third of the put phase's
        // CPU samples were in the JIT, and the client's CPU per put read 12 us against 3 us once
        // warm (the same binary with DOTNET_TieredCompilation=0 measured 3 us).
        var warmupSeconds = IntArgument(args, "--warmup-seconds", 10);
        var bodyBytes = IntArgument(args, "--body", 64);
        var concurrency = IntArgument(args, "--concurrency", 64);
        var prefetch = IntArgument(args, "--prefetch", 1024);
        var batchesInFlight = IntArgument(args, "--batches-in-flight", ChronoqClientOptions.Default.MaxBatchesInFlight);
        var lingerMicroseconds = IntArgument(args, "--linger-us", (int)ChronoqClientOptions.Default.BatchLinger.TotalMicroseconds);
        var storage = Argument(args, "--storage") ?? "memory";
        var address = Argument(args, "--address");

        PostgresCluster? cluster = null;
        LoopbackServer? server = null;
        try
        {
            if (address is null)
            {
                string? connectionString = null;
                if (storage == "postgres")
                {
                    cluster = new PostgresCluster();
                    await cluster.InitializeAsync();
                    connectionString = await cluster.CreateDatabaseAsync("sdkbench");
                }

                server = await LoopbackServer.StartAsync(options =>
                {
                    options.Configuration["Logging:LogLevel:Default"] = "Warning";
                    if (connectionString is not null)
                    {
                        options.Configuration["ConnectionStrings:Chronoq"] = connectionString;
                    }
                });
                address = server.GrpcAddress.ToString();
            }

            Console.WriteLine($"SDK throughput: server {address} ({(server is null ? "external" : "in-process, " + storage)}), {Environment.ProcessorCount} cores, {producers} producers with {inFlight} put(s) in flight each, {jobs:N0} jobs of {bodyBytes} B padding after a {warmupSeconds} s warm-up, worker concurrency {concurrency}, prefetch {prefetch}, {batchesInFlight} batches in flight, linger {lingerMicroseconds} us");
            var topic = $"bench-{Guid.NewGuid():N}";
            var clientOptions = ChronoqClientOptions.Default with
            {
                Address = new Uri(address),
                DefaultDeadline = TimeSpan.FromMinutes(2),
                MaxBatchesInFlight = batchesInFlight,
                BatchLinger = TimeSpan.FromMicroseconds(lingerMicroseconds),
            };
            await using var client = new ChronoqClient(clientOptions);
            var orders = client.Topic(topic, BenchmarkJsonContext.Default.BenchmarkJob);
            var padding = new string('x', bodyBytes);

            // Warm-up: JIT, connections, the server's first commits; both the put and the drain path.
            var warmupClock = Stopwatch.StartNew();
            var warmupJobs = Math.Min(jobs, 50_000);
            for (var round = 1; round == 1 || warmupClock.Elapsed < TimeSpan.FromSeconds(warmupSeconds); round++)
            {
                var warmupTopic = $"{topic}-warmup{round}";
                await ProduceAsync(client.Topic(warmupTopic, BenchmarkJsonContext.Default.BenchmarkJob), producers, inFlight, warmupJobs, padding);
                await DrainAsync(client, clientOptions, warmupTopic, warmupJobs, concurrency, prefetch);
            }

            var batchesBefore = client.PutBatchesSent;
            var gcBefore = GcSnapshot.Take();
            var clock = Stopwatch.StartNew();
            await ProduceAsync(orders, producers, inFlight, jobs, padding);
            var putSeconds = clock.Elapsed.TotalSeconds;
            var putBatches = client.PutBatchesSent - batchesBefore;
            Console.WriteLine($"put:   {jobs / putSeconds,10:N0} jobs/s  ({jobs:N0} in {putSeconds:N2} s, {putBatches:N0} calls, {(double)jobs / putBatches:N1} jobs per call)");
            Console.WriteLine($"       {GcSnapshot.Take().Since(gcBefore, jobs)}");

            gcBefore = GcSnapshot.Take();
            var (drainSeconds, deleteCalls) = await DrainAsync(client, clientOptions, topic, jobs, concurrency, prefetch);
            Console.WriteLine($"drain: {jobs / drainSeconds,10:N0} jobs/s  ({jobs:N0} in {drainSeconds:N2} s, {deleteCalls:N0} delete calls, {(double)jobs / deleteCalls:N1} acks per call)");
            Console.WriteLine($"       {GcSnapshot.Take().Since(gcBefore, jobs)}");
        }
        finally
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }

            if (cluster is not null)
            {
                await cluster.DisposeAsync();
            }
        }
    }

    /// <summary>Runs a hosted no-op worker on <paramref name="topic"/> until <paramref name="jobs"/> jobs are deleted; the seconds it took and the delete calls it made.</summary>
    private static async Task<(double Seconds, long DeleteCalls)> DrainAsync(ChronoqClient statsClient, ChronoqClientOptions clientOptions, string topic, int jobs, int concurrency, int prefetch)
    {
        var services = new ServiceCollection();
        services.AddChronoqClient(_ => clientOptions);
        services.AddChronoqWorker<NoOpBenchmarkHandler, BenchmarkJob>(topic, BenchmarkJsonContext.Default.BenchmarkJob, ChronoqWorkerOptions.Default with
        {
            Concurrency = concurrency,
            Prefetch = prefetch,
            AutoTouch = false,
        });
        await using var provider = services.BuildServiceProvider();
        var worker = provider.GetServices<IHostedService>().Single();
        var workerClient = provider.GetRequiredService<ChronoqClient>();
        var clock = Stopwatch.StartNew();
        await worker.StartAsync(CancellationToken.None);
        while (true)
        {
            var stats = await statsClient.GetTopicStatsAsync(topic);
            if (stats.TotalDeletes >= (ulong)jobs)
            {
                break;
            }

            // Polling the counters costs one small call per 20 ms: noise next to the drain.
            await Task.Delay(TimeSpan.FromMilliseconds(20));
        }

        var seconds = clock.Elapsed.TotalSeconds;
        await worker.StopAsync(CancellationToken.None);
        return (seconds, workerClient.DeleteBatchesSent);
    }

    private static async Task ProduceAsync(ChronoqTopic<BenchmarkJob> topic, int producers, int inFlight, int jobs, string padding)
    {
        var tasks = new Task[producers];
        for (var p = 0; p < producers; p++)
        {
            var producer = p;
            var count = (jobs / producers) + (producer < jobs % producers ? 1 : 0);
            tasks[p] = Task.Run(async () =>
            {
                var window = new Task[inFlight];
                for (var i = 0; i < count; i += inFlight)
                {
                    var started = Math.Min(inFlight, count - i);
                    for (var k = 0; k < started; k++)
                    {
                        window[k] = topic.PutAsync(new BenchmarkJob(producer, i + k, padding));
                    }

                    await Task.WhenAll(window.AsSpan(0, started));
                }
            });
        }

        await Task.WhenAll(tasks);
    }

    /// <summary>
    /// This process's allocations, collections and CPU time: with <c>--address</c> the process is
    /// the client alone, which separates the SDK's cost per job from the server's.
    /// </summary>
    private readonly record struct GcSnapshot(long AllocatedBytes, int Gen0, int Gen1, int Gen2, TimeSpan Cpu)
    {
        public static GcSnapshot Take() => new(
            GC.GetTotalAllocatedBytes(precise: false),
            GC.CollectionCount(0),
            GC.CollectionCount(1),
            GC.CollectionCount(2),
            Environment.CpuUsage.TotalTime);

        public string Since(GcSnapshot before, int jobs) =>
            $"this process: {(double)(AllocatedBytes - before.AllocatedBytes) / jobs:N0} B allocated and {(Cpu - before.Cpu).TotalMicroseconds / jobs:N1} us CPU per job; GCs gen0 {Gen0 - before.Gen0}, gen1 {Gen1 - before.Gen1}, gen2 {Gen2 - before.Gen2}";
    }

    private static string? Argument(string[] args, string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();

    private static int IntArgument(string[] args, string name, int fallback) =>
        Argument(args, name) is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;
}
