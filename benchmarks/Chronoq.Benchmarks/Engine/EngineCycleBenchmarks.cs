using BenchmarkDotNet.Attributes;
using Chronoq.Core;
using Chronoq.Core.Storage;

namespace Chronoq.Benchmarks.Engine;

/// <summary>
/// The in-process engine hot path end to end: the real engine thread, callers on the thread pool.
/// A cycle is one job put, reserved and deleted. With <see cref="BatchSize"/> 0 each caller runs
/// single commands one after another (Put, ReserveOne poll, Delete); otherwise each caller puts
/// <see cref="BatchSize"/> jobs with one PutBatch, takes that many reservations from its own
/// Reserve stream (prefetch <see cref="BatchSize"/>, open for the caller's run) and deletes them
/// with one DeleteBatch, the way a high-throughput in-process user would. Memory store; bodies are one shared array, so any
/// allocation shown is the engine's own.
/// </summary>
[MemoryDiagnoser]
public class EngineCycleBenchmarks
{
    public const int Cycles = 102_400;
    private const string Topic = "bench";
    private static readonly ReadOnlyMemory<byte> Body = new byte[64];
    private static readonly string[] Topics = { Topic };
    private ChronoqEngine _engine = null!;
    private Task[] _tasks = null!;
    private BatchCaller[] _batchCallers = null!;

    /// <summary>Callers in flight, each running its cycles one after another.</summary>
    [Params(64, 1024)]
    public int Callers { get; set; }

    /// <summary>False runs callers' continuations inline on the engine thread (no thread-pool hop).</summary>
    [Params(false, true)]
    public bool AsyncContinuations { get; set; }

    /// <summary>Jobs per PutBatch, stream prefetch and DeleteBatch; 0 = single commands.</summary>
    [Params(0)]
    public int BatchSize { get; set; }

    /// <summary>Turns the engine loop has run: commands per turn tell how well the loop batches.</summary>
    public long EngineTurns => _engine.Turns;

    [GlobalSetup]
    public void Setup()
    {
        _tasks = new Task[Callers];
        var options = EngineOptions.Default with { RunContinuationsAsynchronously = AsyncContinuations };
        _engine = ChronoqEngine.StartAsync(options, new MemoryJobStore(), TimeProvider.System).GetAwaiter().GetResult();
        if (BatchSize > 0)
        {
            if (Cycles % (Callers * BatchSize) != 0)
            {
                throw new ArgumentException($"callers × batch size must divide {Cycles}");
            }

            _batchCallers = new BatchCaller[Callers];
            for (var i = 0; i < Callers; i++)
            {
                _batchCallers[i] = new BatchCaller(_engine, BatchSize);
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _engine.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(OperationsPerInvoke = Cycles)]
    public void PutReserveDelete()
    {
        for (var i = 0; i < Callers; i++)
        {
            _tasks[i] = BatchSize > 0 ? _batchCallers[i].RunAsync(Cycles / Callers) : Worker(Cycles / Callers);
        }

        Task.WaitAll(_tasks);
    }

    private async Task Worker(int cycles)
    {
        var spec = new JobSpec { Topic = Topic, Body = Body };
        for (var i = 0; i < cycles; i++)
        {
            var put = await _engine.PutAsync(spec);
            if (!put.IsOk)
            {
                throw new InvalidOperationException(put.Status.Message);
            }

            var reserved = await _engine.ReserveOneAsync(Topics, TimeSpan.Zero);
            if (reserved.Value is not { } job)
            {
                throw new InvalidOperationException("no job to reserve");
            }

            var deleted = await _engine.DeleteAsync(job.Job.Id, job.Reservation);
            if (!deleted.IsOk)
            {
                throw new InvalidOperationException(deleted.Message);
            }
        }
    }

    /// <summary>One batched caller: the request lists it reuses every round, and a Reserve stream per run.</summary>
    private sealed class BatchCaller
    {
        private readonly ChronoqEngine _engine;
        private readonly JobSpec[] _specs;
        private readonly DeleteTarget[] _targets;

        public BatchCaller(ChronoqEngine engine, int batchSize)
        {
            _engine = engine;
            _specs = new JobSpec[batchSize];
            Array.Fill(_specs, new JobSpec { Topic = Topic, Body = Body });
            _targets = new DeleteTarget[batchSize];
        }

        public async Task RunAsync(int cycles)
        {
            // The stream ends with the run. The engine keeps filling a stream's free slots whether
            // or not anyone still reads it, so a caller done with its rounds would go on taking its
            // turn of the jobs the callers still running put: reserved to it, no one else can have
            // them, and those callers would wait for exactly these jobs until the TTR (60 s) gave
            // them back, voiding the tokens this caller then read in its next run. Disposing hands
            // them back at once. Two commands per caller per run, next to its thousands of cycles.
            var opened = await _engine.OpenReservationStreamAsync(Topics, (uint)_targets.Length);
            if (!opened.IsOk)
            {
                throw new InvalidOperationException(opened.Status.Message);
            }

            await using var stream = opened.Value;
            var events = stream.Events;
            for (var done = 0; done < cycles; done += _specs.Length)
            {
                var put = await _engine.PutBatchAsync(_specs);
                if (!put.IsOk)
                {
                    throw new InvalidOperationException(put.Status.Message);
                }

                // Every caller puts and takes the same number of jobs, so each stream gets its share
                // even when it is handed jobs another caller put: a stream holds at most a batch, and
                // while its caller has rounds left it reads all it holds.
                for (var i = 0; i < _targets.Length; i++)
                {
                    var reservation = await events.ReadAsync();
                    if (reservation.Kind != ReservationEventKind.Job)
                    {
                        i--;
                        continue;
                    }

                    _targets[i] = new DeleteTarget(reservation.Job.Job.Id, reservation.Job.Reservation);
                }

                var deleted = await _engine.DeleteBatchAsync(_targets);
                if (!deleted.IsOk)
                {
                    throw new InvalidOperationException($"DeleteBatch failed: {deleted.Status.Message}");
                }

                var failed = Array.FindIndex(deleted.Value, status => !status.IsOk);
                if (failed >= 0)
                {
                    throw new InvalidOperationException($"a delete failed: {deleted.Value[failed].Code} {deleted.Value[failed].Message}");
                }
            }
        }
    }
}
