using System.Diagnostics;
using System.Globalization;

namespace Chronoq.LoadGen.Beanstalk;

/// <summary>
/// The shapes of the standard workloads (StandardWorkloads) run against beanstalkd, so Chronoq's
/// figures can be given as ratios to it (issue 4, item 8): W1 enqueue 50,000 jobs × 100 B from 32
/// connections — one put in flight per connection (the shape of Chronoq's unbatched Put), and
/// pipelined in writes of 500 puts (beanstalkd has no batch put; a pipelined write of 500 is the
/// nearest it comes to PutBatch of 500); W2 drain those 50,000 with 32 connections, each reserving
/// a job and deleting it, the delete and the next reserve sent in one write; and put→reserve→delete
/// cycles from 32 connections, each cycle's delete, next put and next reserve in one write (the
/// shape of the issue's "put→reserve→delete/s" reference). Each: one warm-up run, then the median of
/// the measured runs; every run uses fresh tubes.
/// </summary>
internal sealed class BeanstalkWorkloads
{
    private const int BodyBytes = 100;
    private const int PipelineDepth = 500;
    private const int Connections = 32;

    /// <summary>A run that takes longer than this has hung (a lost reply); the slowest, fsync-per-write run takes well under a minute.</summary>
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);

    private static readonly byte[] Body = new byte[BodyBytes];
    private readonly string _host;
    private readonly int _port;
    private readonly int _runs;
    private readonly int _jobs;
    private readonly string _prefix = "lg-" + Guid.NewGuid().ToString("N")[..8];
    private readonly List<BeanstalkConnection> _connections = new();
    private string _watched = "default";
    private int _tubeSeq;

    private BeanstalkWorkloads(string host, int port, int runs, int jobs)
    {
        _host = host;
        _port = port;
        _runs = runs;
        _jobs = jobs;
    }

    /// <summary>The <c>beanstalk</c> verb: <c>--address HOST:PORT [--runs N] [--jobs N]</c>.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        string? Argument(string name) => Array.IndexOf(args, name) is var at and >= 0 && at + 1 < args.Length ? args[at + 1] : null;
        var address = Argument("--address");
        var colon = address?.LastIndexOf(':') ?? -1;
        if (address is null || colon <= 0 || !int.TryParse(address[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            Console.Error.WriteLine("usage: Chronoq.LoadGen beanstalk --address HOST:PORT [--runs N] [--jobs N]   (e.g. --address 127.0.0.1:11300)");
            return 2;
        }

        var runs = int.Parse(Argument("--runs") ?? "3", CultureInfo.InvariantCulture);
        var jobs = int.Parse(Argument("--jobs") ?? "50000", CultureInfo.InvariantCulture);
        var workloads = new BeanstalkWorkloads(address[..colon], port, runs, jobs);
        try
        {
            await workloads.RunAsync();
        }
        finally
        {
            foreach (var connection in workloads._connections)
            {
                await connection.DisposeAsync();
            }
        }

        return 0;
    }

    private async Task RunAsync()
    {
        for (var i = 0; i < Connections; i++)
        {
            _connections.Add(await BeanstalkConnection.ConnectAsync(_host, _port));
        }

        var stats = await _connections[0].StatsAsync();
        Console.WriteLine($"beanstalkd {stats.GetValueOrDefault("version")} at {_host}:{_port}, {Connections} connections, {_jobs} jobs x {BodyBytes} B per run, {_runs} runs after a warm-up");

        var unpipelined = new List<double>();
        var pipelined = new List<double>();
        var drained = new List<double>();
        var cycled = new List<double>();
        for (var run = 0; run <= _runs; run++)
        {
            using var timeout = new CancellationTokenSource(RunTimeout);
            var pipelinedTube = NextTube();
            await SwitchTubeAsync(pipelinedTube, timeout.Token);
            var p = await PutPipelinedAsync(timeout.Token);
            var unpipelinedTube = NextTube();
            await SwitchTubeAsync(unpipelinedTube, timeout.Token);
            var u = await PutOneInFlightAsync(timeout.Token);
            await SwitchTubeAsync(pipelinedTube, timeout.Token);
            var d = await DrainAsync(timeout.Token);
            // The unpipelined run's jobs are drained too, unmeasured, so beanstalkd holds nothing between runs.
            await SwitchTubeAsync(unpipelinedTube, timeout.Token);
            await DrainAsync(timeout.Token);
            await SwitchTubeAsync(NextTube(), timeout.Token);
            var c = await CycleAsync(timeout.Token);
            Console.WriteLine(Invariant($"  run {StandardWorkloads.RunName(run)}: W1 put 1 in flight {u:F0} jobs/s, W1 put pipelined {p:F0} jobs/s, W2 drain {d:F0} jobs/s, put-reserve-delete {c:F0} cycles/s"));
            if (run > 0)
            {
                unpipelined.Add(u);
                pipelined.Add(p);
                drained.Add(d);
                cycled.Add(c);
            }
        }

        // These exact prefixes are what benchmarks/compare-beanstalkd.sh reads.
        Console.WriteLine(Invariant($"beanstalkd W1 put, 1 in flight per connection, {Connections} connections: median {Median(unpipelined):F0} jobs/s"));
        Console.WriteLine(Invariant($"beanstalkd W1 put, pipelined {PipelineDepth} per write, {Connections} connections: median {Median(pipelined):F0} jobs/s"));
        Console.WriteLine(Invariant($"beanstalkd W2 drain, reserve + delete, {Connections} connections: median {Median(drained):F0} jobs/s"));
        Console.WriteLine(Invariant($"beanstalkd put-reserve-delete cycles, {Connections} connections: median {Median(cycled):F0} cycles/s"));
        stats = await _connections[0].StatsAsync();
        Console.WriteLine($"beanstalkd binlog: records written {stats.GetValueOrDefault("binlog-records-written")}, current file index {stats.GetValueOrDefault("binlog-current-index")}, max file size {stats.GetValueOrDefault("binlog-max-size")} B");
    }

    /// <summary>Every connection uses and watches only <paramref name="tube"/> (one write and round trip per connection).</summary>
    private async Task SwitchTubeAsync(string tube, CancellationToken cancellationToken)
    {
        await Task.WhenAll(_connections.Select(async connection =>
        {
            connection.WriteUse(tube);
            connection.WriteWatch(tube);
            connection.WriteIgnore(_watched);
            await connection.FlushAsync(cancellationToken);
            await connection.ReadUsingAsync(cancellationToken);
            await connection.ReadWatchingAsync(cancellationToken);
            if (await connection.ReadWatchingAsync(cancellationToken) != 1)
            {
                throw new BeanstalkException($"a connection still watches more than '{tube}'");
            }
        }));
        _watched = tube;
    }

    private Task<double> PutOneInFlightAsync(CancellationToken cancellationToken)
    {
        var next = -1;
        return Timed(_jobs, async connection =>
        {
            while (Interlocked.Increment(ref next) < _jobs)
            {
                await connection.PutAsync(Body, cancellationToken);
            }
        });
    }

    private Task<double> PutPipelinedAsync(CancellationToken cancellationToken)
    {
        var nextWrite = -1;
        var writes = (_jobs + PipelineDepth - 1) / PipelineDepth;
        return Timed(_jobs, async connection =>
        {
            while (Interlocked.Increment(ref nextWrite) is var write && write < writes)
            {
                var count = Math.Min(PipelineDepth, _jobs - (write * PipelineDepth));
                for (var i = 0; i < count; i++)
                {
                    connection.WritePut(Body);
                }

                await connection.FlushAsync(cancellationToken);
                for (var i = 0; i < count; i++)
                {
                    await connection.ReadInsertedAsync(cancellationToken);
                }
            }
        });
    }

    /// <summary>
    /// Reserves and deletes every job of the watched tube. Every job is ready before the drain
    /// starts, so a reserve that times out at once (timeout 0) means the tube has no ready job left.
    /// </summary>
    private async Task<double> DrainAsync(CancellationToken cancellationToken)
    {
        var done = 0;
        var perSecond = await Timed(_jobs, async connection =>
        {
            connection.WriteReserveWithTimeout(0);
            await connection.FlushAsync(cancellationToken);
            while (await connection.ReadReservedAsync(cancellationToken) is { } job)
            {
                connection.WriteDelete(job.Id);
                connection.WriteReserveWithTimeout(0);
                await connection.FlushAsync(cancellationToken);
                await RequireDeletedAsync(connection, job.Id, cancellationToken);
                Interlocked.Increment(ref done);
            }
        });
        if (done != _jobs)
        {
            throw new BeanstalkException($"drained {done} jobs, expected {_jobs}");
        }

        return perSecond;
    }

    /// <summary>
    /// put→reserve→delete cycles. Each connection puts before it reserves and beanstalkd answers a
    /// connection's commands in order, so there are never more reserves waiting than ready jobs:
    /// a plain reserve never waits for long (the timeout only guards against a hang).
    /// </summary>
    private Task<double> CycleAsync(CancellationToken cancellationToken)
    {
        const uint reserveTimeoutSeconds = 30;
        var next = -1;
        return Timed(_jobs, async connection =>
        {
            if (Interlocked.Increment(ref next) >= _jobs)
            {
                return;
            }

            connection.WritePut(Body);
            connection.WriteReserveWithTimeout(reserveTimeoutSeconds);
            await connection.FlushAsync(cancellationToken);
            while (true)
            {
                await connection.ReadInsertedAsync(cancellationToken);
                var job = await connection.ReadReservedAsync(cancellationToken)
                    ?? throw new BeanstalkException($"no job ready within {reserveTimeoutSeconds} s although every reserve follows a put");
                connection.WriteDelete(job.Id);
                var more = Interlocked.Increment(ref next) < _jobs;
                if (more)
                {
                    connection.WritePut(Body);
                    connection.WriteReserveWithTimeout(reserveTimeoutSeconds);
                }

                await connection.FlushAsync(cancellationToken);
                await RequireDeletedAsync(connection, job.Id, cancellationToken);
                if (!more)
                {
                    return;
                }
            }
        });
    }

    private static async Task RequireDeletedAsync(BeanstalkConnection connection, ulong id, CancellationToken cancellationToken)
    {
        if (!await connection.ReadDeletedAsync(cancellationToken))
        {
            throw new BeanstalkException($"delete {id}: NOT_FOUND for a job this connection had reserved");
        }
    }

    /// <summary>Runs <paramref name="worker"/> on every connection at once; returns <paramref name="jobs"/> per second of the whole.</summary>
    private async Task<double> Timed(int jobs, Func<BeanstalkConnection, Task> worker)
    {
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(_connections.Select(connection => Task.Run(() => worker(connection))));
        return jobs / watch.Elapsed.TotalSeconds;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private string NextTube() => $"{_prefix}-{++_tubeSeq}";
}
