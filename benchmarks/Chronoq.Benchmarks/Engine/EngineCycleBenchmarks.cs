using BenchmarkDotNet.Attributes;
using Chronoq.Core;
using Chronoq.Core.Storage;

namespace Chronoq.Benchmarks.Engine;

/// <summary>
/// The in-process engine hot path: put, reserve (ReserveOne poll) and delete, with many callers in
/// flight so commands are drained in batches, on the memory store. Reported per cycle; bodies are
/// one shared array, so any allocation shown is the engine's own.
/// </summary>
[MemoryDiagnoser]
public class EngineCycleBenchmarks
{
    private const int Cycles = 102_400;
    private static readonly ReadOnlyMemory<byte> Body = new byte[64];
    private static readonly string[] Topics = { "bench" };
    private ChronoqEngine _engine = null!;
    private Task[] _tasks = null!;

    /// <summary>Callers in flight, each running its cycles one after another.</summary>
    [Params(64, 1024)]
    public int Callers { get; set; }

    /// <summary>False runs callers' continuations inline on the engine thread (no thread-pool hop).</summary>
    [Params(false, true)]
    public bool AsyncContinuations { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _tasks = new Task[Callers];
        var options = EngineOptions.Default with { RunContinuationsAsynchronously = AsyncContinuations };
        _engine = ChronoqEngine.StartAsync(options, new MemoryJobStore(), TimeProvider.System).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup() => _engine.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(OperationsPerInvoke = Cycles)]
    public void PutReserveDelete()
    {
        for (var i = 0; i < Callers; i++)
        {
            _tasks[i] = Worker(Cycles / Callers);
        }

        Task.WaitAll(_tasks);
    }

    private async Task Worker(int cycles)
    {
        var spec = new JobSpec { Topic = "bench", Body = Body };
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
}
