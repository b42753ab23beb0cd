using System.Diagnostics;
using System.Globalization;

namespace Chronoq.Benchmarks.Engine;

/// <summary>
/// <c>engine-cpu [inFlight]</c>: runs <see cref="EngineCeilingBenchmarks"/> on this thread and reports
/// per cycle wall time, this thread's own CPU time (<see cref="ThreadCpuClock"/>), and the part of
/// that CPU time spent inside the engine's turns (what the engine thread itself would spend).
/// <c>engine-cpu e2e [callers] [async]</c>: runs <see cref="EngineCycleBenchmarks"/> (engine thread,
/// callers on the thread pool) and reports wall time and the whole process's CPU time per cycle.
/// On a shared, overloaded machine the wall time mostly measures waiting for a core; the CPU time
/// is what the engine thread itself spends, so it is the figure to hold against the target.
/// </summary>
public static class EngineCpuRun
{
    public const string Command = "engine-cpu";

    public static void Run(string[] args)
    {
        if (args.Length > 0 && args[0] == "e2e")
        {
            RunEndToEnd(args[1..]);
            return;
        }

        var inFlight = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 256;
        var bench = new EngineCeilingBenchmarks { InFlight = inFlight };
        bench.Setup();
        var cyclesPerCall = 50 * 1024;
        for (var i = 0; i < 5; i++)
        {
            bench.PutReserveDelete(); // warm-up: tiering, slab and heap growth
        }

        var cpu = new List<double>();
        var turns = new List<double>();
        var wall = new List<double>();
        bench.MeasureTurns = true;
        bench.TurnAllocatedBytes = 0;
        var allocated0 = GC.GetAllocatedBytesForCurrentThread(); // callers and turns all run on this thread
        for (var run = 0; run < 7; run++)
        {
            bench.TurnCpuNs = 0;
            var cpu0 = ThreadCpuClock.NowNs();
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < 4; i++)
            {
                bench.PutReserveDelete();
            }

            watch.Stop();
            cpu.Add((ThreadCpuClock.NowNs() - cpu0) / (4.0 * cyclesPerCall));
            turns.Add(bench.TurnCpuNs / (4.0 * cyclesPerCall));
            wall.Add(watch.Elapsed.TotalNanoseconds / (4.0 * cyclesPerCall));
        }

        var allocatedPerCycle = (GC.GetAllocatedBytesForCurrentThread() - allocated0) / (7.0 * 4 * cyclesPerCall);
        cpu.Sort();
        turns.Sort();
        wall.Sort();
        var cpuMedian = cpu[cpu.Count / 2];
        var turnMedian = turns[turns.Count / 2];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"in-flight {inFlight}: per cycle CPU median {cpuMedian:F0} ns (min {cpu[0]:F0}, max {cpu[^1]:F0}) = {1e9 / cpuMedian / 1e6:F2} M cycles/s with the callers' side; engine turns alone {turnMedian:F0} ns (min {turns[0]:F0}, max {turns[^1]:F0}) = {1e9 / turnMedian / 1e6:F2} M cycles/s; wall median {wall[wall.Count / 2]:F0} ns; allocated {allocatedPerCycle:F2} B per cycle, {bench.TurnAllocatedBytes / (7.0 * 4 * cyclesPerCall):F2} B of it in the turns"));
    }

    private static void RunEndToEnd(string[] args)
    {
        var bench = new EngineCycleBenchmarks
        {
            Callers = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 256,
            AsyncContinuations = args.Length <= 1 || bool.Parse(args[1]),
        };
        bench.Setup();
        const int cycles = 102_400;
        for (var i = 0; i < 3; i++)
        {
            bench.PutReserveDelete();
        }

        var cpu = new List<double>();
        var wall = new List<double>();
        var process = Process.GetCurrentProcess();
        for (var run = 0; run < 7; run++)
        {
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            bench.PutReserveDelete();
            watch.Stop();
            process.Refresh();
            cpu.Add((process.TotalProcessorTime - cpu0).TotalNanoseconds / cycles);
            wall.Add(watch.Elapsed.TotalNanoseconds / cycles);
        }

        bench.Cleanup();
        cpu.Sort();
        wall.Sort();
        var wallMedian = wall[wall.Count / 2];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"end-to-end, {bench.Callers} callers, async continuations {bench.AsyncContinuations}: per cycle wall median {wallMedian:F0} ns ({1e3 / wallMedian:F2} M cycles/s; min {wall[0]:F0}, max {wall[^1]:F0}), process CPU median {cpu[cpu.Count / 2]:F0} ns"));
    }
}
