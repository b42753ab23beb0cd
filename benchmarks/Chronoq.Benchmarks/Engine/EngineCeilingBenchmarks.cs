using BenchmarkDotNet.Attributes;
using Chronoq.Core;
using Chronoq.Core.Internal;
using Chronoq.Core.Storage;

namespace Chronoq.Benchmarks.Engine;

/// <summary>
/// The engine thread's own ceiling: the loop's turn (<c>EngineCore.TryRunTurn</c>) driven directly
/// on the benchmark thread, with no engine thread, no wake-ups and no caller continuations. Each
/// cycle is a put, a ReserveOne poll and a delete, applied as three turns of <see cref="InFlight"/>
/// commands each — what the loop sees when that many callers are in flight. The callers' side
/// (rent, the engine's own enqueue with its queue bound, reading the result) runs here too.
/// Reported per cycle (three commands); memory store, one shared 64-byte body.
/// </summary>
[MemoryDiagnoser]
public class EngineCeilingBenchmarks
{
    private const int Rounds = 50;
    private static readonly ReadOnlyMemory<byte> Body = new byte[64];
    private static readonly string[] Topics = { "bench" };
    private EngineCore _core = null!;
    private ValueTask<EngineResult<PutResult>>[] _puts = null!;
    private ValueTask<EngineResult<ReservedJob?>>[] _reserves = null!;
    private ValueTask<EngineStatus>[] _deletes = null!;
    private ReservedJob[] _held = null!;

    /// <summary>Commands in one turn: the number of callers in flight.</summary>
    [Params(64, 1024)]
    public int InFlight { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        // Inline continuations: the turn answers on this thread, so results are readable right after it.
        _core = new EngineCore(EngineOptions.Default with { RunContinuationsAsynchronously = false }, new MemoryJobStore(), TimeProvider.System);
        _core.Recover(RecoveredState.Empty);
        _puts = new ValueTask<EngineResult<PutResult>>[InFlight];
        _reserves = new ValueTask<EngineResult<ReservedJob?>>[InFlight];
        _deletes = new ValueTask<EngineStatus>[InFlight];
        _held = new ReservedJob[InFlight];
    }

    [Benchmark(OperationsPerInvoke = Rounds * 1024)]
    public int PutReserveDelete()
    {
        var spec = new JobSpec { Topic = "bench", Body = Body };
        var done = 0;
        var turns = Rounds * 1024 / InFlight;
        for (var round = 0; round < turns; round++)
        {
            for (var i = 0; i < InFlight; i++)
            {
                var command = _core.Rent(CommandKind.Put);
                command.Spec = spec;
                _puts[i] = command.AsPutTask();
                _core.Enqueue(command);
            }

            Turn();
            for (var i = 0; i < InFlight; i++)
            {
                if (!_puts[i].Result.IsOk)
                {
                    throw new InvalidOperationException("put failed");
                }
            }

            for (var i = 0; i < InFlight; i++)
            {
                var command = _core.Rent(CommandKind.ReserveOne);
                command.TopicNames = Topics;
                _reserves[i] = command.AsReserveTask();
                _core.Enqueue(command);
            }

            Turn();
            for (var i = 0; i < InFlight; i++)
            {
                _held[i] = _reserves[i].Result.Value ?? throw new InvalidOperationException("no job to reserve");
            }

            for (var i = 0; i < InFlight; i++)
            {
                var command = _core.Rent(CommandKind.Delete);
                command.Id = _held[i].Job.Id;
                command.Reservation = _held[i].Reservation;
                _deletes[i] = command.AsStatusTask();
                _core.Enqueue(command);
            }

            Turn();
            for (var i = 0; i < InFlight; i++)
            {
                done += _deletes[i].Result.IsOk ? 1 : throw new InvalidOperationException("delete failed");
            }
        }

        return done;
    }

    /// <summary>
    /// When set, the thread CPU time spent inside the turns is added to <see cref="TurnCpuNs"/>:
    /// the engine thread's own share of a cycle, without the callers' side.
    /// </summary>
    public bool MeasureTurns { get; set; }

    public long TurnCpuNs { get; set; }

    /// <summary>Bytes allocated inside the turns (with <see cref="MeasureTurns"/>): the engine's own share.</summary>
    public long TurnAllocatedBytes { get; set; }

    private void Turn()
    {
        var start = MeasureTurns ? ThreadCpuClock.NowNs() : 0;
        var allocated = MeasureTurns ? GC.GetAllocatedBytesForCurrentThread() : 0;
        while (_core.TryRunTurn())
        {
        }

        if (MeasureTurns)
        {
            TurnCpuNs += ThreadCpuClock.NowNs() - start;
            TurnAllocatedBytes += GC.GetAllocatedBytesForCurrentThread() - allocated;
        }
    }
}
