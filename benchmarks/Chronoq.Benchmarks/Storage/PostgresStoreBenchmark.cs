using System.Diagnostics;
using Chronoq.Core.Storage;
using Chronoq.Storage.Postgres;
using Chronoq.Testing.Postgres;

namespace Chronoq.Benchmarks.Storage;

/// <summary>
/// Timed runs of the PostgreSQL store against a real server (the throwaway test cluster, fsync and
/// synchronous_commit on, unless CHRONOQ_TEST_POSTGRES names another): commit throughput and
/// latency at the batch sizes group commit produces, and recovery time of a large store.
/// A timed loop rather than BenchmarkDotNet because the numbers that matter are per-commit
/// latency percentiles and a one-shot million-row recovery, not a mean of micro-invocations.
/// Run: <c>dotnet run -c Release --project benchmarks/Chronoq.Benchmarks -- postgres-store [--seconds 10] [--recover-jobs 1000000]</c>.
/// </summary>
public static class PostgresStoreBenchmark
{
    /// <summary>The first command-line argument that selects this benchmark.</summary>
    public const string Command = "postgres-store";

    private const int BodyBytes = 100;

    public static async Task RunAsync(string[] args)
    {
        int seconds = IntArgument(args, "--seconds", 10);
        int recoverJobs = IntArgument(args, "--recover-jobs", 1_000_000);

        var cluster = new PostgresCluster();
        await cluster.InitializeAsync();
        try
        {
            Console.WriteLine($"PostgreSQL store benchmark: {(cluster.IsThrowaway ? "throwaway PostgreSQL 15 cluster (fsync=on, synchronous_commit=on)" : "server from " + PostgresCluster.ConnectionStringVariable)}, {Environment.ProcessorCount} cores, {seconds} s per scenario");
            await CommitScenarioAsync(cluster, "puts, 1 per commit (idle: one caller)", putsPerCommit: 1, deletesPerCommit: 0, seconds);
            await CommitScenarioAsync(cluster, "puts, 64 per commit (64 concurrent callers)", putsPerCommit: 64, deletesPerCommit: 0, seconds);
            await CommitScenarioAsync(cluster, "puts, 100 per commit", putsPerCommit: 100, deletesPerCommit: 0, seconds);
            await CommitScenarioAsync(cluster, "puts, 1000 per commit (loaded group commit)", putsPerCommit: 1000, deletesPerCommit: 0, seconds);
            // The same without binary COPY: every new job by INSERT ... ON CONFLICT, as before COPY was used.
            await CommitScenarioAsync(cluster, "puts, 100 per commit, no COPY", putsPerCommit: 100, deletesPerCommit: 0, seconds, copyThreshold: int.MaxValue);
            await CommitScenarioAsync(cluster, "puts, 1000 per commit, no COPY", putsPerCommit: 1000, deletesPerCommit: 0, seconds, copyThreshold: int.MaxValue);
            await CommitScenarioAsync(cluster, "100 puts + 100 deletes per commit (steady churn)", putsPerCommit: 100, deletesPerCommit: 100, seconds);
            await RecoveryScenarioAsync(cluster, recoverJobs);
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    private static async Task CommitScenarioAsync(PostgresCluster cluster, string name, int putsPerCommit, int deletesPerCommit, int seconds, int? copyThreshold = null)
    {
        string db = await cluster.CreateDatabaseAsync("bench");
        await using var store = await PostgresJobStore.CreateAsync(new PostgresStoreOptions
        {
            ConnectionString = db,
            CopyThreshold = copyThreshold ?? PostgresStoreOptions.Default.CopyThreshold,
        });
        var batch = new MutationBatch();
        ulong nextId = 1;
        ulong oldest = 1;

        // Warm-up: pool, prepared statements, JIT.
        for (int i = 0; i < 20; i++)
        {
            Fill(batch, putsPerCommit, deletesPerCommit, ref nextId, ref oldest);
            await store.CommitAsync(batch, CancellationToken.None);
        }

        var latencies = new List<double>(100_000);
        long jobs = 0;
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var total = Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < seconds)
        {
            Fill(batch, putsPerCommit, deletesPerCommit, ref nextId, ref oldest);
            long started = Stopwatch.GetTimestamp();
            await store.CommitAsync(batch, CancellationToken.None);
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            jobs += putsPerCommit;
        }

        total.Stop();
        latencies.Sort();
        Console.WriteLine(
            $"{name}: {jobs / total.Elapsed.TotalSeconds:N0} puts/s, {latencies.Count / total.Elapsed.TotalSeconds:N0} commits/s, " +
            $"commit p50 {Percentile(latencies, 0.50):0.00} ms, p99 {Percentile(latencies, 0.99):0.00} ms, max {latencies[^1]:0.00} ms " +
            $"({latencies.Count} commits in {total.Elapsed.TotalSeconds:0.0} s)");
    }

    private static async Task RecoveryScenarioAsync(PostgresCluster cluster, int jobCount)
    {
        string db = await cluster.CreateDatabaseAsync("recover");
        await using (var writer = await PostgresJobStore.CreateAsync(new PostgresStoreOptions { ConnectionString = db, CommitTimeout = TimeSpan.FromSeconds(60) }))
        {
            var batch = new MutationBatch();
            ulong nextId = 1;
            ulong oldest = 1;
            var load = Stopwatch.StartNew();
            while (nextId <= (ulong)jobCount)
            {
                Fill(batch, Math.Min(10_000, jobCount - (int)nextId + 1), 0, ref nextId, ref oldest);
                await writer.CommitAsync(batch, CancellationToken.None);
            }

            Console.WriteLine($"load: {jobCount:N0} puts in batches of 10,000 took {load.Elapsed.TotalSeconds:0.00} s ({jobCount / load.Elapsed.TotalSeconds:N0} puts/s)");
        }

        await using var reader = await PostgresJobStore.CreateAsync(new PostgresStoreOptions { ConnectionString = db });
        GC.Collect();
        long heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var clock = Stopwatch.StartNew();
        var recovered = await reader.RecoverAsync(CancellationToken.None);
        clock.Stop();
        long heapAfter = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine(
            $"recovery: {recovered.Jobs.Count:N0} live jobs ({BodyBytes} B bodies) read in {clock.Elapsed.TotalSeconds:0.00} s " +
            $"({recovered.Jobs.Count / clock.Elapsed.TotalSeconds:N0} jobs/s), managed heap +{(heapAfter - heapBefore) / (1024 * 1024):N0} MiB");
        GC.KeepAlive(recovered);
    }

    private static void Fill(MutationBatch batch, int puts, int deletes, ref ulong nextId, ref ulong oldest)
    {
        batch.Clear();
        for (int i = 0; i < puts; i++, nextId++)
        {
            var body = new byte[BodyBytes];
            body[0] = (byte)nextId;
            batch.Mutations.Add(JobMutation.Upsert(new JobRecord
            {
                Id = nextId,
                Topic = "bench",
                Body = body,
                Priority = 1024,
                State = StoredJobState.Ready,
                ReadyAtMs = 1_700_000_000_000,
                TtrMs = 60_000,
                CreatedAtMs = 1_700_000_000_000,
            }));
        }

        for (int i = 0; i < deletes && oldest < nextId - (ulong)puts; i++, oldest++)
        {
            batch.Mutations.Add(JobMutation.Delete(oldest));
        }

        batch.IdHighWater = nextId - 1;
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    internal static int IntArgument(string[] args, string name, int fallback)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length && int.TryParse(args[at + 1], out int value) ? value : fallback;
    }
}
