using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Chronoq.Protocol.V1;
using Chronoq.Sdk;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Chronoq.LoadGen;

/// <summary>
/// The standard queue workloads (issue 3), run through the SDK against any running server so the
/// results compare with other queues measured the same way: W1 enqueue 50,000 jobs × 100 B
/// (PutBatch of 500, and unbatched Put from 32 producers); W2 drain them 32-way (streaming Reserve
/// + Delete, coalesced into DeleteBatch by the client); W3 lateness of 10,000 jobs delayed 1–10 s;
/// W4 server memory per pending delayed job (200,000 jobs delayed 1 h, the server's RSS read from
/// /proc, so the server must run on this machine). Each workload: one warm-up run, then the median
/// of the measured runs. Every run uses a fresh topic.
/// I4 runs the benchmark shapes of issue 4 (the durability targets): PutBatch of 100 jobs × 100 B;
/// unbatched Put from 64 concurrent callers, with the acknowledgement latency of every call, the
/// CPU time per put of client, server (--server-pid) and PostgreSQL (--postgres-pid, the
/// postmaster) and the server's storage commits (--metrics-url, its /metrics page); and a drain
/// of the PutBatch jobs through streaming Reserve (prefetch 64) acknowledged with explicit
/// DeleteBatch calls. I4PUT runs the unbatched Put shape alone. RECOVERY starts a server of its own over PostgreSQL (--connection-string),
/// fills it with live jobs, then kills it (SIGKILL) and starts it again, timing each restart from
/// process start to the first successful call that sees every job.
/// CYCLE runs put→reserve→delete cycles from 32 workers, the shape beanstalkd's comparison calls
/// cycles (benchmarks/compare-beanstalkd.sh).
/// </summary>
internal sealed class StandardWorkloads
{
    private const int W1Jobs = 50_000;
    private const int BodyBytes = 100;
    private const int BatchSize = 500;
    private const int Concurrency = 32;
    /// <summary>W3's default job count; <c>--w3-jobs</c> raises it (issue 3 asks for 100,000 due over 10 s).</summary>
    public const int DefaultLatenessJobs = 10_000;
    /// <summary>W3's prefetch per Reserve stream (64 held back fewer due jobs than 16 with 100k jobs); <c>--w3-prefetch</c> changes it.</summary>
    public const int DefaultLatenessPrefetch = 64;
    private const int LatenessStreams = 4;
    private const int W4Jobs = 200_000;
    private const int I4PutBatchJobs = 200_000;
    private const int I4BatchSize = 100;
    private const int I4UnbatchedJobs = 100_000;
    private const int I4UnbatchedCallers = 64;
    private const int I4DrainStreams = 8;
    private const int I4Prefetch = 64;
    private const int RecoveryLoadBatch = 1_000;

    private static readonly ByteString Body = ByteString.CopyFrom(new byte[BodyBytes]);
    private readonly Uri _address;
    private readonly int _runs;
    private readonly int? _serverPid;
    private readonly int? _postgresPid;
    private readonly Uri? _metricsUrl;
    private readonly RecoverySettings? _recovery;
    private readonly int _latenessJobs;
    private readonly int _latenessPrefetch;
    private readonly string _prefix = "lg-" + Guid.NewGuid().ToString("N")[..8];
    private int _topicSeq;

    public StandardWorkloads(Uri address, int runs, int? serverPid, RecoverySettings? recovery = null, int latenessJobs = DefaultLatenessJobs, int? postgresPid = null, Uri? metricsUrl = null, int latenessPrefetch = DefaultLatenessPrefetch)
    {
        _metricsUrl = metricsUrl;
        _postgresPid = postgresPid;
        _latenessJobs = latenessJobs;
        _latenessPrefetch = latenessPrefetch;
        _address = address;
        _runs = runs;
        _serverPid = serverPid;
        _recovery = recovery;
    }

    public async Task RunAsync(IReadOnlyCollection<string> which)
    {
        await using var batching = new ChronoqClient(new ChronoqClientOptions { Address = _address });
        await using var unary = new ChronoqClient(new ChronoqClientOptions { Address = _address, EnableBatching = false });
        if (which.Contains("W1") || which.Contains("W2"))
        {
            var batched = new List<double>();
            var unbatched = new List<double>();
            var drained = new List<double>();
            for (var run = 0; run <= _runs; run++)
            {
                var topic = NextTopic();
                var b = await EnqueueInBatchesAsync(batching, topic, W1Jobs, BatchSize, Concurrency);
                var u = await EnqueueUnbatchedAsync(unary, NextTopic());
                var d = await DrainAsync(batching, topic);
                Console.WriteLine(Invariant($"  run {RunName(run)}: W1 batched {b:F0} jobs/s, W1 unbatched {u:F0} jobs/s, W2 drain {d:F0} jobs/s"));
                if (run > 0)
                {
                    batched.Add(b);
                    unbatched.Add(u);
                    drained.Add(d);
                }

                // The unbatched run's jobs are drained too, unmeasured, so the server holds nothing between runs.
                await DrainAsync(batching, $"{_prefix}-{_topicSeq}");
            }

            Console.WriteLine(Invariant($"W1 enqueue {W1Jobs} x {BodyBytes} B, PutBatch of {BatchSize} ({Concurrency} producers): median {Median(batched):F0} jobs/s"));
            Console.WriteLine(Invariant($"W1 enqueue {W1Jobs} x {BodyBytes} B, unbatched Put, {Concurrency} producers: median {Median(unbatched):F0} jobs/s"));
            Console.WriteLine(Invariant($"W2 drain {W1Jobs}, {Concurrency} Reserve streams (prefetch 1) + Delete coalesced into DeleteBatch: median {Median(drained):F0} jobs/s"));
        }

        if (which.Contains("CYCLE"))
        {
            var cycles = await MedianOfRunsAsync(() => CycleAsync(batching, NextTopic()), c => Invariant($"put-reserve-delete {c:F0} cycles/s"));
            Console.WriteLine(Invariant($"CYCLE put-reserve-delete {W1Jobs} x {BodyBytes} B, {Concurrency} workers (Reserve stream prefetch 1; delete and next put together, coalesced by the client): median {cycles:F0} cycles/s"));
        }

        if (which.Contains("I4") || which.Contains("I4PUT"))
        {
            await IssueFourShapesAsync(batching, unary, unbatchedOnly: !which.Contains("I4"));
        }

        if (which.Contains("RECOVERY"))
        {
            if (_recovery is null)
            {
                Console.WriteLine("RECOVERY skipped: pass --connection-string of the PostgreSQL database the restarted server uses");
            }
            else
            {
                await RecoveryAsync(_recovery);
            }
        }

        if (which.Contains("W3"))
        {
            var p50 = new List<double>();
            var p99 = new List<double>();
            var max = new List<double>();
            for (var run = 0; run <= _runs; run++)
            {
                // The client's own GC pauses delay its stamps as much as the server's do: report them per run.
                var collectionsBefore = GC.CollectionCount(0);
                var pausedBefore = GC.GetTotalPauseDuration();
                var (a, b, c) = await LatenessAsync(batching, NextTopic(), _latenessJobs, _latenessPrefetch);
                var collections = GC.CollectionCount(0) - collectionsBefore;
                var paused = (GC.GetTotalPauseDuration() - pausedBefore).TotalMilliseconds;
                Console.WriteLine(Invariant($"  run {RunName(run)}: W3 lateness p50 {a:F2} ms, p99 {b:F2} ms, max {c:F2} ms (client: {collections} GCs, {paused:F1} ms paused)"));
                if (run > 0)
                {
                    p50.Add(a);
                    p99.Add(b);
                    max.Add(c);
                }
            }

            Console.WriteLine(Invariant($"W3 lateness of {_latenessJobs} jobs delayed uniform 1-10 s, {LatenessStreams} streams, prefetch {_latenessPrefetch} (client receive time - ready_at): median of runs p50 {Median(p50):F2} ms, p99 {Median(p99):F2} ms, max {Median(max):F2} ms"));
        }

        if (which.Contains("W4"))
        {
            if (_serverPid is not { } pid)
            {
                Console.WriteLine("W4 skipped: pass --server-pid PID of a server running on this machine");
                return;
            }

            var perJob = await MedianOfRunsAsync(() => MemoryPerDelayedJobAsync(batching, NextTopic(), pid), bytes => Invariant($"W4 {bytes:F0} B of server RSS per pending delayed job"));
            Console.WriteLine(Invariant($"W4 server RSS growth per pending delayed job ({W4Jobs} jobs x {BodyBytes} B delayed 1 h): median {perJob:F0} B"));
        }
    }

    /// <summary>
    /// Issue 4's three throughput shapes, run after one another on fresh topics each run; with
    /// <paramref name="unbatchedOnly"/> (I4PUT) the unbatched Put alone. The unbatched shape also
    /// reports the CPU time per put of this process and, when their ids were given, of the server
    /// and the PostgreSQL cluster.
    /// </summary>
    private async Task IssueFourShapesAsync(ChronoqClient batching, ChronoqClient unary, bool unbatchedOnly)
    {
        var batched = new List<double>();
        var unbatched = new List<double>();
        var p50 = new List<double>();
        var p99 = new List<double>();
        var drained = new List<double>();
        var cpu = new List<CpuPerPut>();
        var allocated = new List<double>();
        for (var run = 0; run <= _runs; run++)
        {
            var topic = NextTopic();
            var b = unbatchedOnly ? double.NaN : await EnqueueInBatchesAsync(batching, topic, I4PutBatchJobs, I4BatchSize, Concurrency);
            var unbatchedTopic = NextTopic();
            var before = SampleCpu();
            var commitsBefore = await CommitTotals.ReadAsync(_metricsUrl);
            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            var (u, ackP50, ackP99) = await EnqueueUnbatchedWithLatencyAsync(unary, unbatchedTopic);
            var perPut = (SampleCpu() - before) / I4UnbatchedJobs;

            // The client's managed allocations a put: its request message, the SDK's call and the
            // latency array (8 B a put) included; what the garbage collector then has to pay for.
            var allocatedPerPut = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / (double)I4UnbatchedJobs;
            var commits = (await CommitTotals.ReadAsync(_metricsUrl)) - commitsBefore;
            var d = unbatchedOnly ? double.NaN : await DrainWithDeleteBatchAsync(batching, topic, I4PutBatchJobs);
            var unbatchedLine = Invariant(
                $"unbatched Put {u:F0} jobs/s, ack p50 {ackP50:F2} ms, p99 {ackP99:F2} ms, {perPut}, client allocates {allocatedPerPut:F0} B a put, {commits.Describe(I4UnbatchedJobs / u)}");
            Console.WriteLine(unbatchedOnly
                ? Invariant($"  run {RunName(run)}: I4 {unbatchedLine}")
                : Invariant($"  run {RunName(run)}: I4 PutBatch of {I4BatchSize} {b:F0} jobs/s; {unbatchedLine}; drain {d:F0} jobs/s"));
            if (run > 0)
            {
                batched.Add(b);
                unbatched.Add(u);
                p50.Add(ackP50);
                p99.Add(ackP99);
                drained.Add(d);
                cpu.Add(perPut);
                allocated.Add(allocatedPerPut);
            }

            // Unmeasured: the server holds nothing between runs.
            await DrainWithDeleteBatchAsync(batching, unbatchedTopic, I4UnbatchedJobs);
        }

        if (!unbatchedOnly)
        {
            Console.WriteLine(Invariant($"I4 PutBatch of {I4BatchSize} x {BodyBytes} B, {I4PutBatchJobs} jobs, {Concurrency} producers: median {Median(batched):F0} jobs/s"));
        }

        Console.WriteLine(Invariant(
            $"I4 unbatched Put, {I4UnbatchedJobs} jobs, {I4UnbatchedCallers} concurrent callers: median {Median(unbatched):F0} jobs/s, ack latency median of runs p50 {Median(p50):F2} ms, p99 {Median(p99):F2} ms, CPU per put medians: {new CpuPerPut(Median(cpu.Select(c => c.Client).ToList()), Median(cpu.Select(c => c.Server).ToList()), Median(cpu.Select(c => c.Postgres).ToList())).Describe()}, client allocates {Median(allocated):F0} B a put"));
        if (!unbatchedOnly)
        {
            Console.WriteLine(Invariant(
                $"I4 drain {I4PutBatchJobs}, {I4DrainStreams} Reserve streams (prefetch {I4Prefetch}) + DeleteBatch: median {Median(drained):F0} jobs/s"));
        }
    }

    /// <summary>CPU seconds so far of this process, the server (--server-pid) and PostgreSQL (--postgres-pid); NaN where unknown.</summary>
    private CpuPerPut SampleCpu() => new(
        ProcessCpu.Seconds(Environment.ProcessId),
        _serverPid is { } server ? ProcessCpu.Seconds(server) : double.NaN,
        _postgresPid is { } postmaster ? ProcessCpu.ClusterSeconds(postmaster) : double.NaN);

    /// <summary>CPU time of the three processes; divided by a count, in microseconds per operation.</summary>
    private readonly record struct CpuPerPut(double Client, double Server, double Postgres)
    {
        public static CpuPerPut operator -(CpuPerPut after, CpuPerPut before) =>
            new(after.Client - before.Client, after.Server - before.Server, after.Postgres - before.Postgres);

        public static CpuPerPut operator /(CpuPerPut seconds, int count) =>
            new(seconds.Client * 1e6 / count, seconds.Server * 1e6 / count, seconds.Postgres * 1e6 / count);

        public override string ToString() => $"CPU per put: {Describe()}";

        /// <summary>The three figures and their total; a process not given by pid reads "not measured".</summary>
        public string Describe() =>
            $"client {Micros(Client)}, server {Micros(Server)}, PostgreSQL {Micros(Postgres)}, total {Micros(Client + Server + Postgres)}";

        private static string Micros(double value) => double.IsNaN(value) ? "not measured" : Invariant($"{value:F1} us");
    }

    private static async Task<(double JobsPerSecond, double P50, double P99)> EnqueueUnbatchedWithLatencyAsync(ChronoqClient client, string topic)
    {
        var next = -1;
        var latencies = new double[I4UnbatchedJobs];
        var watch = Stopwatch.StartNew();
        await Parallel(async () =>
        {
            int at;
            while ((at = Interlocked.Increment(ref next)) < I4UnbatchedJobs)
            {
                var started = Stopwatch.GetTimestamp();
                await client.PutAsync(new PutRequest { Topic = topic, Body = Body });
                latencies[at] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        }, workers: I4UnbatchedCallers);
        var rate = I4UnbatchedJobs / watch.Elapsed.TotalSeconds;
        Array.Sort(latencies);
        return (rate, latencies[I4UnbatchedJobs / 2], latencies[(int)(I4UnbatchedJobs * 0.99) - 1]);
    }

    /// <summary>
    /// Drains <paramref name="jobs"/> jobs through Reserve streams with a prefetch of
    /// <see cref="I4Prefetch"/>, acknowledging with explicit DeleteBatch calls: each stream collects
    /// the jobs already delivered to it (up to its prefetch) and sends them in one DeleteBatch
    /// without waiting for it, so delivery continues while the commit runs.
    /// </summary>
    private static async Task<double> DrainWithDeleteBatchAsync(ChronoqClient client, string topic, int jobs)
    {
        var done = 0;
        var failures = new ConcurrentQueue<string>();
        using var finished = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var watch = Stopwatch.StartNew();

        async Task AcknowledgeAsync(List<DeleteRequest> held)
        {
            var results = await client.DeleteBatchAsync(held, CancellationToken.None);
            var deleted = results.Count(r => r.Code == Chronoq.Protocol.Grpc.StatusCode.OK);
            if (deleted != held.Count)
            {
                failures.Enqueue(results.First(r => r.Code != Chronoq.Protocol.Grpc.StatusCode.OK).ToString());
                await finished.CancelAsync();
            }

            if (Interlocked.Add(ref done, deleted) >= jobs)
            {
                await finished.CancelAsync();
            }
        }

        await Parallel(async () =>
        {
            var acks = new List<Task>();
            var held = new List<DeleteRequest>(I4Prefetch);
            var stream = client.ReserveAsync(topic, new ReserveOptions { Prefetch = I4Prefetch }, finished.Token).GetAsyncEnumerator(finished.Token);
            try
            {
                while (true)
                {
                    var next = stream.MoveNextAsync();
                    if (!next.IsCompleted && held.Count > 0)
                    {
                        // Nothing more delivered yet: acknowledge what this stream holds.
                        acks.Add(AcknowledgeAsync(held));
                        held = new List<DeleteRequest>(I4Prefetch);
                    }

                    if (!await next)
                    {
                        break;
                    }

                    held.Add(new DeleteRequest { Id = stream.Current.Id, Reservation = stream.Current.Reservation });
                    if (held.Count == I4Prefetch)
                    {
                        acks.Add(AcknowledgeAsync(held));
                        held = new List<DeleteRequest>(I4Prefetch);
                    }
                }
            }
            catch (OperationCanceledException) when (finished.IsCancellationRequested)
            {
            }
            finally
            {
                await Task.WhenAll(acks);
                await stream.DisposeAsync();
            }
        }, workers: I4DrainStreams);
        if (!failures.IsEmpty)
        {
            throw new InvalidOperationException($"{failures.Count} DeleteBatch calls had failed deletes, first: {failures.First()}");
        }

        if (done < jobs)
        {
            throw new TimeoutException($"drained only {done} of {jobs} jobs in 5 minutes");
        }

        return jobs / watch.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// Starts a server over the PostgreSQL database of <paramref name="settings"/>, fills it with
    /// live jobs (unless it already holds them), then kills it and starts it again once per run:
    /// the time from starting the process to the first GetServerStats that answers with every
    /// job READY is the time to serving, recovery included.
    /// </summary>
    private async Task RecoveryAsync(RecoverySettings settings)
    {
        var server = ServerProcess.Start(settings);
        try
        {
            var (_, ready) = await server.WaitServingAsync(minimumReady: 0);
            if (ready < (ulong)settings.Jobs)
            {
                var fill = (int)((ulong)settings.Jobs - ready);
                await using var client = new ChronoqClient(new ChronoqClientOptions { Address = server.Address });
                var rate = await EnqueueInBatchesAsync(client, NextTopic(), fill, RecoveryLoadBatch, workers: 8);
                Console.WriteLine(Invariant($"  loaded {fill} jobs x {BodyBytes} B (PutBatch of {RecoveryLoadBatch}, 8 producers) at {rate:F0} jobs/s"));
            }

            var times = new List<double>();
            for (var run = 0; run <= _runs; run++)
            {
                server.Kill();
                server = ServerProcess.Start(settings);
                var (seconds, recovered) = await server.WaitServingAsync(minimumReady: (ulong)settings.Jobs);
                Console.WriteLine(Invariant($"  run {RunName(run)}: kill -9 and restart over {recovered} live jobs: serving after {seconds:F2} s"));
                if (run > 0)
                {
                    times.Add(seconds);
                }
            }

            Console.WriteLine(Invariant($"RECOVERY of {settings.Jobs} live jobs x {BodyBytes} B, process start to first GetServerStats with every job READY: median {Median(times):F2} s"));
        }
        finally
        {
            server.Kill();
        }
    }

    private static async Task<double> EnqueueInBatchesAsync(ChronoqClient client, string topic, int jobs, int batchSize, int workers)
    {
        var next = -1;
        var batches = (jobs + batchSize - 1) / batchSize;
        var watch = Stopwatch.StartNew();
        await Parallel(async () =>
        {
            int at;
            while ((at = Interlocked.Increment(ref next)) < batches)
            {
                var batch = new PutRequest[Math.Min(batchSize, jobs - at * batchSize)];
                for (var i = 0; i < batch.Length; i++)
                {
                    batch[i] = new PutRequest { Topic = topic, Body = Body };
                }

                await client.PutBatchAsync(batch);
            }
        }, workers);
        return jobs / watch.Elapsed.TotalSeconds;
    }

    internal static string RunName(int run) => run == 0 ? "warm-up" : run.ToString(CultureInfo.InvariantCulture);

    /// <summary>A warm-up run, then the measured runs, each printed; the median of the measured ones.</summary>
    private async Task<double> MedianOfRunsAsync(Func<Task<double>> measure, Func<double, string> describe)
    {
        var measured = new List<double>();
        for (var run = 0; run <= _runs; run++)
        {
            var value = await measure();
            Console.WriteLine($"  run {RunName(run)}: {describe(value)}");
            if (run > 0)
            {
                measured.Add(value);
            }
        }

        return Median(measured);
    }

    private static async Task<double> EnqueueUnbatchedAsync(ChronoqClient client, string topic)
    {
        var next = -1;
        var watch = Stopwatch.StartNew();
        await Parallel(async () =>
        {
            while (Interlocked.Increment(ref next) < W1Jobs)
            {
                await client.PutAsync(new PutRequest { Topic = topic, Body = Body });
            }
        });
        return W1Jobs / watch.Elapsed.TotalSeconds;
    }

    private static async Task<double> DrainAsync(ChronoqClient client, string topic)
    {
        var done = 0;
        using var finished = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var watch = Stopwatch.StartNew();
        await Parallel(async () =>
        {
            try
            {
                await foreach (var job in client.ReserveAsync(topic, new ReserveOptions { Prefetch = 1 }, finished.Token))
                {
                    await job.DeleteAsync(CancellationToken.None);
                    if (Interlocked.Increment(ref done) == W1Jobs)
                    {
                        await finished.CancelAsync();
                    }
                }
            }
            catch (OperationCanceledException) when (finished.IsCancellationRequested)
            {
            }
        });
        if (done < W1Jobs)
        {
            throw new TimeoutException($"drained only {done} of {W1Jobs} jobs in 5 minutes");
        }

        return W1Jobs / watch.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// put→reserve→delete cycles, as beanstalkd's comparison runs them: each worker puts a job, takes
    /// the next one its Reserve stream (prefetch 1) is given (any worker's), then deletes it and puts
    /// its next job at the same time (beanstalkd: one write for both). Each worker takes as many as
    /// it puts, so a job is always there for a waiting worker; a worker done with its share closes
    /// its stream at once, which hands any job delivered to it meanwhile to another.
    /// </summary>
    private static async Task<double> CycleAsync(ChronoqClient client, string topic)
    {
        var next = -1;
        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var watch = Stopwatch.StartNew();
        await Parallel(async () =>
        {
            if (Interlocked.Increment(ref next) >= W1Jobs)
            {
                return;
            }

            await using var reservations = client.ReserveAsync(topic, new ReserveOptions { Prefetch = 1 }, bound.Token).GetAsyncEnumerator(bound.Token);
            await client.PutAsync(new PutRequest { Topic = topic, Body = Body }, bound.Token);
            while (true)
            {
                if (!await reservations.MoveNextAsync())
                {
                    throw new InvalidOperationException("the Reserve stream ended before the cycles did");
                }

                var delete = reservations.Current.DeleteAsync(bound.Token);
                var more = Interlocked.Increment(ref next) < W1Jobs;
                if (more)
                {
                    await client.PutAsync(new PutRequest { Topic = topic, Body = Body }, bound.Token);
                }

                await delete;
                if (!more)
                {
                    return;
                }
            }
        });
        return W1Jobs / watch.Elapsed.TotalSeconds;
    }

    private static async Task<(double P50, double P99, double Max)> LatenessAsync(ChronoqClient client, string topic, int count, int prefetch)
    {
        var lateness = new double[count];
        var received = 0;
        var acknowledged = 0;
        var failures = new ConcurrentQueue<Exception>();
        using var finished = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        // A delete is not awaited before taking the next job: awaiting it serially caps a stream at
        // one job per delete round trip (a WAL flush in PostgreSQL mode, 4-9 ms), and the jobs
        // queued in the client behind it were counted as server lateness. Nor is its task kept:
        // holding all of them (each reaching its job) kept every delivered job alive to the end of
        // the run, so every GC of the client copied them all and paused it for 100-300 ms with 100k
        // jobs; meanwhile its unacknowledged jobs held the streams' prefetch and the server had to
        // hold back the jobs falling due. The streams close only after the last delete is answered,
        // since closing a Reserve stream releases its reservations.
        async Task AcknowledgeAsync(ReservedJobHandle job)
        {
            try
            {
                await job.DeleteAsync(CancellationToken.None);
            }
            catch (Exception exception)
            {
                failures.Enqueue(exception);
                await finished.CancelAsync();
                return;
            }

            if (Interlocked.Increment(ref acknowledged) == count)
            {
                await finished.CancelAsync();
            }
        }

        var consumers = Parallel(async () =>
        {
            try
            {
                await foreach (var job in client.ReserveAsync(topic, new ReserveOptions { Prefetch = prefetch }, finished.Token))
                {
                    var late = (DateTimeOffset.UtcNow - job.Job.ReadyAt.ToDateTimeOffset()).TotalMilliseconds;
                    lateness[Interlocked.Increment(ref received) - 1] = late;
                    _ = AcknowledgeAsync(job);
                }
            }
            catch (OperationCanceledException) when (finished.IsCancellationRequested)
            {
            }
        }, workers: LatenessStreams);

        // Built batch by batch (same delays, from the same seeded sequence) so the client holds no
        // request longer than its call.
        var random = new Random(7);
        for (var i = 0; i < count; i += BatchSize)
        {
            var batch = new PutRequest[Math.Min(BatchSize, count - i)];
            for (var j = 0; j < batch.Length; j++)
            {
                batch[j] = new PutRequest { Topic = topic, Body = Body, Delay = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(random.Next(1_000, 10_001))) };
            }

            await client.PutBatchAsync(batch);
        }

        await consumers;
        if (!failures.IsEmpty)
        {
            throw new AggregateException("W3 deletes failed", failures);
        }

        if (acknowledged < count)
        {
            throw new TimeoutException($"received {received} and deleted {acknowledged} of {count} delayed jobs within 60 s");
        }

        Array.Sort(lateness);
        return (lateness[count / 2], lateness[(int)(count * 0.99) - 1], lateness[^1]);
    }

    private static async Task<double> MemoryPerDelayedJobAsync(ChronoqClient client, string topic, int pid)
    {
        var before = RssBytes(pid);
        var next = -1;
        await Parallel(async () =>
        {
            while (Interlocked.Increment(ref next) < W4Jobs / BatchSize)
            {
                var jobs = new PutRequest[BatchSize];
                for (var i = 0; i < jobs.Length; i++)
                {
                    jobs[i] = new PutRequest { Topic = topic, Body = Body, Delay = Duration.FromTimeSpan(TimeSpan.FromHours(1)) };
                }

                await client.PutBatchAsync(jobs);
            }
        }, workers: 4);
        await Task.Delay(TimeSpan.FromSeconds(2)); // let the server's gen0 garbage from the calls settle
        return (RssBytes(pid) - before) / (double)W4Jobs;
    }

    private static long RssBytes(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException($"no VmRSS for process {pid}");
    }

    private static Task Parallel(Func<Task> worker, int workers = Concurrency) =>
        Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(worker)));

    private static double Median(List<double> values)
    {
        if (values.Count == 0)
        {
            return double.NaN; // --runs 0: the warm-up alone
        }

        values.Sort();
        return values[values.Count / 2];
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private string NextTopic() => $"{_prefix}-{++_topicSeq}";
}
