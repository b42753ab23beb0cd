using System.Diagnostics;
using System.Globalization;
using Chronoq.Core;
using Chronoq.Storage.Postgres;
using Chronoq.Testing.Postgres;

namespace Chronoq.Benchmarks.Storage;

/// <summary>
/// Bodies on demand against a real PostgreSQL (the throwaway test cluster): an in-process engine on
/// the PostgreSQL store puts <c>--jobs</c> jobs of <c>--body-bytes</c> each, restarts (recovery),
/// then drains them (a Reserve stream with prefetch 64, acknowledged with DeleteBatch), once with
/// every body kept (budget 0 = no limit) and once with a budget of <c>--budget</c> bytes,
/// alternating for <c>--rounds</c> rounds. Reports the retained managed heap after the puts and
/// after recovery, and the drain rate, so the two budgets compare within one run.
/// Run: <c>dotnet benchmarks/Chronoq.Benchmarks/bin/Release/net10.0/Chronoq.Benchmarks.dll body-cache [--jobs 200000] [--body-bytes 1024] [--budget 1048576] [--rounds 1]</c>.
/// </summary>
public static class BodyCacheBenchmark
{
    /// <summary>The first command-line argument that selects this benchmark.</summary>
    public const string Command = "body-cache";

    private const int PutBatchSize = 1_000;
    private const int Prefetch = 64;
    private const string Topic = "drain";

    public static async Task RunAsync(string[] args)
    {
        int jobs = PostgresStoreBenchmark.IntArgument(args, "--jobs", 200_000);
        int bodyBytes = PostgresStoreBenchmark.IntArgument(args, "--body-bytes", 1024);
        int budget = PostgresStoreBenchmark.IntArgument(args, "--budget", 1 << 20);
        int rounds = PostgresStoreBenchmark.IntArgument(args, "--rounds", 1);

        var cluster = new PostgresCluster();
        await cluster.InitializeAsync();
        try
        {
            Console.WriteLine($"Bodies on demand: {jobs:N0} jobs x {bodyBytes:N0} B, budget {budget:N0} B vs 0 (no limit), {Environment.ProcessorCount} cores, " +
                (cluster.IsThrowaway ? "throwaway PostgreSQL 15 cluster (fsync=on, synchronous_commit=on)" : "server from " + PostgresCluster.ConnectionStringVariable));
            for (int round = 1; round <= rounds; round++)
            {
                await ScenarioAsync(cluster, round, jobs, bodyBytes, budgetBytes: 0);
                await ScenarioAsync(cluster, round, jobs, bodyBytes, budgetBytes: budget);
            }
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    private static async Task ScenarioAsync(PostgresCluster cluster, int round, int jobs, int bodyBytes, long budgetBytes)
    {
        string db = await cluster.CreateDatabaseAsync("bodies");
        var storeOptions = new PostgresStoreOptions { ConnectionString = db, BodyCacheBytes = budgetBytes };
        var engineOptions = EngineOptions.Default with { BodyCacheBytes = budgetBytes };

        long heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var put = Stopwatch.StartNew();
        long afterPuts;
        await using (var store = await PostgresJobStore.CreateAsync(storeOptions))
        await using (var engine = await ChronoqEngine.StartAsync(engineOptions, store, TimeProvider.System))
        {
            var specs = new JobSpec[PutBatchSize];
            for (int done = 0; done < jobs; done += PutBatchSize)
            {
                int count = Math.Min(PutBatchSize, jobs - done);
                var batch = count == specs.Length ? specs : new JobSpec[count];
                for (int i = 0; i < count; i++)
                {
                    batch[i] = new JobSpec { Topic = Topic, Body = BodyOf(done + i, bodyBytes) };
                }

                Check((await engine.PutBatchAsync(batch)).Status);
            }

            Array.Clear(specs);
            put.Stop();
            afterPuts = GC.GetTotalMemory(forceFullCollection: true);
        }

        var recovery = Stopwatch.StartNew();
        await using var recoveredStore = await PostgresJobStore.CreateAsync(storeOptions);
        await using var recovered = await ChronoqEngine.StartAsync(engineOptions, recoveredStore, TimeProvider.System);
        recovery.Stop();
        long afterRecovery = GC.GetTotalMemory(forceFullCollection: true);

        var drain = Stopwatch.StartNew();
        int drained = await DrainAsync(recovered, jobs, bodyBytes);
        drain.Stop();

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"round {round}, budget {(budgetBytes == 0 ? "0 (no limit)" : budgetBytes.ToString("N0", CultureInfo.InvariantCulture) + " B")}: " +
            $"put {jobs / put.Elapsed.TotalSeconds:N0} jobs/s, heap after puts +{(afterPuts - heapBefore) / 1048576.0:N1} MiB ({(afterPuts - heapBefore) / (double)jobs:N0} B/job), " +
            $"recovery {recovery.Elapsed.TotalSeconds:N2} s, heap after recovery +{(afterRecovery - heapBefore) / 1048576.0:N1} MiB, " +
            $"drain {drained / drain.Elapsed.TotalSeconds:N0} jobs/s ({drained:N0} in {drain.Elapsed.TotalSeconds:N2} s), load average {LoadAverage()}"));
    }

    /// <summary>Streams every job (prefetch 64), checks each body, acknowledges what arrived with one DeleteBatch at a time.</summary>
    private static async Task<int> DrainAsync(ChronoqEngine engine, int jobs, int bodyBytes)
    {
        var opened = await engine.OpenReservationStreamAsync([Topic], Prefetch);
        Check(opened.Status);
        await using var stream = opened.Value;
        var acks = new List<DeleteTarget>(Prefetch);
        int drained = 0;
        while (drained < jobs && await stream.Events.WaitToReadAsync())
        {
            while (acks.Count < Prefetch && stream.Events.TryRead(out var item))
            {
                if (item.Kind != ReservationEventKind.Job)
                {
                    continue;
                }

                var job = item.Job.Job;
                if (job.Body.Length != bodyBytes || BitConverter.ToInt64(job.Body.Span) != (long)job.Id - 1)
                {
                    throw new InvalidOperationException($"job {job.Id} came back with the wrong body");
                }

                acks.Add(new DeleteTarget(job.Id, item.Job.Reservation));
            }

            if (acks.Count == 0)
            {
                continue;
            }

            Check((await engine.DeleteBatchAsync(acks)).Status);
            drained += acks.Count;
            acks.Clear();
        }

        return drained;
    }

    // The job's index in its first 8 bytes (ids start at 1 in a fresh database), the rest a pattern.
    private static byte[] BodyOf(int index, int bodyBytes)
    {
        var body = new byte[Math.Max(bodyBytes, sizeof(long))];
        body.AsSpan().Fill((byte)index);
        BitConverter.TryWriteBytes(body, (long)index);
        return body;
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static void Check(EngineStatus status)
    {
        if (!status.IsOk)
        {
            throw new InvalidOperationException(status.Message);
        }
    }
}
