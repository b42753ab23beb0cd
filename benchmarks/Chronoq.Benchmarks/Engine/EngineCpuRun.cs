using System.Diagnostics;
using System.Globalization;

namespace Chronoq.Benchmarks.Engine;

/// <summary>
/// <c>engine-cpu [inFlight]</c>: runs <see cref="EngineCeilingBenchmarks"/> on this thread and reports
/// per cycle wall time, this thread's own CPU time (<see cref="ThreadCpuClock"/>), and the part of
/// that CPU time spent inside the engine's turns (what the engine thread itself would spend).
/// <c>engine-cpu e2e [callers] [async] [batch]</c>: runs <see cref="EngineCycleBenchmarks"/> (engine thread,
/// callers on the thread pool; batch &gt; 0 = batched callers) and reports per cycle wall time, the
/// whole process's CPU time, the engine thread's own CPU time (from /proc), commands per engine
/// turn and the bytes the whole process allocated.
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
            BatchSize = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 0,
        };
        bench.Setup();
        const int cycles = EngineCycleBenchmarks.Cycles;
        for (var i = 0; i < 3; i++)
        {
            bench.PutReserveDelete();
        }

        var engineThread = EngineThreadSchedstat();
        var cpu = new List<double>();
        var engineCpu = new List<double>();
        var wall = new List<double>();
        var commandsPerTurn = new List<double>();
        var process = Process.GetCurrentProcess();
        var allocated0 = GC.GetTotalAllocatedBytes(precise: true);
        const int runs = 7;
        for (var run = 0; run < runs; run++)
        {
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            var engine0 = ReadCpuNs(engineThread);
            var turns0 = bench.EngineTurns;
            var watch = Stopwatch.StartNew();
            bench.PutReserveDelete();
            watch.Stop();
            process.Refresh();
            cpu.Add((process.TotalProcessorTime - cpu0).TotalNanoseconds / cycles);
            engineCpu.Add((ReadCpuNs(engineThread) - engine0) / (double)cycles);
            wall.Add(watch.Elapsed.TotalNanoseconds / cycles);
            commandsPerTurn.Add(CommandsPerCycle(bench) * cycles / (double)(bench.EngineTurns - turns0));
        }

        var allocatedPerCycle = (GC.GetTotalAllocatedBytes(precise: true) - allocated0) / (double)(runs * cycles);
        bench.Cleanup();
        cpu.Sort();
        engineCpu.Sort();
        wall.Sort();
        commandsPerTurn.Sort();
        var wallMedian = wall[wall.Count / 2];
        var shape = bench.BatchSize > 0 ? $"batched by {bench.BatchSize} (PutBatch, stream prefetch {bench.BatchSize}, DeleteBatch)" : "single commands (Put, ReserveOne poll, Delete)";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"end-to-end, {bench.Callers} callers, {shape}, async continuations {bench.AsyncContinuations}: per cycle wall median {wallMedian:F0} ns ({1e3 / wallMedian:F2} M cycles/s; min {wall[0]:F0}, max {wall[^1]:F0}), process CPU median {cpu[cpu.Count / 2]:F0} ns, engine thread CPU median {engineCpu[engineCpu.Count / 2]:F0} ns; {commandsPerTurn[commandsPerTurn.Count / 2]:F1} commands a turn; allocated {allocatedPerCycle:F2} B per cycle (whole process)"));
    }

    // Commands the engine loop takes per cycle: three single commands, or three per batch.
    private static double CommandsPerCycle(EngineCycleBenchmarks bench) => bench.BatchSize > 0 ? 2.0 / bench.BatchSize : 3.0;

    /// <summary>The engine thread's /proc schedstat file (the thread is named chronoq-engine).</summary>
    private static string EngineThreadSchedstat()
    {
        foreach (var task in Directory.GetDirectories("/proc/self/task"))
        {
            if (File.ReadAllText(Path.Combine(task, "comm")).Trim() == "chronoq-engine")
            {
                return Path.Combine(task, "schedstat");
            }
        }

        throw new InvalidOperationException("no chronoq-engine thread");
    }

    // The first field of schedstat is the thread's time on a CPU in nanoseconds.
    private static long ReadCpuNs(string schedstat) =>
        long.Parse(File.ReadAllText(schedstat).Split(' ')[0], CultureInfo.InvariantCulture);
}
