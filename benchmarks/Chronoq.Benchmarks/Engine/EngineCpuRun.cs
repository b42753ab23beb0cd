using System.Diagnostics;
using System.Globalization;

namespace Chronoq.Benchmarks.Engine;

/// <summary>
/// <c>engine-cpu [inFlight]</c>: runs <see cref="EngineCeilingBenchmarks"/> on this thread and reports
/// per cycle both wall time and this thread's own CPU time (Linux <c>/proc/thread-self/schedstat</c>).
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
        var wall = new List<double>();
        for (var run = 0; run < 7; run++)
        {
            var cpu0 = ThreadCpuNs();
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < 4; i++)
            {
                bench.PutReserveDelete();
            }

            watch.Stop();
            cpu.Add((ThreadCpuNs() - cpu0) / (4.0 * cyclesPerCall));
            wall.Add(watch.Elapsed.TotalNanoseconds / (4.0 * cyclesPerCall));
        }

        cpu.Sort();
        wall.Sort();
        var cpuMedian = cpu[cpu.Count / 2];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"in-flight {inFlight}: per cycle CPU median {cpuMedian:F0} ns (min {cpu[0]:F0}, max {cpu[^1]:F0}) = {1e9 / cpuMedian / 1e6:F2} M cycles/s of engine-thread CPU; wall median {wall[wall.Count / 2]:F0} ns"));
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

    private static long ThreadCpuNs() =>
        long.Parse(File.ReadAllText("/proc/thread-self/schedstat").Split(' ')[0], CultureInfo.InvariantCulture);
}
