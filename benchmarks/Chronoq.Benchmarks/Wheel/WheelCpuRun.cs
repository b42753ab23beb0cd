using System.Diagnostics;
using System.Globalization;

namespace Chronoq.Benchmarks.Wheel;

/// <summary>
/// <c>wheel-cpu</c>: runs <see cref="TimingWheelBenchmarks"/> on this thread and reports per timer
/// both wall time and this thread's own CPU time (Linux <c>/proc/thread-self/schedstat</c>), which
/// on a shared, overloaded machine is the figure to hold against the target.
/// </summary>
public static class WheelCpuRun
{
    public const string Command = "wheel-cpu";
    private const int Timers = 100_000;

    public static void Run()
    {
        var bench = new TimingWheelBenchmarks();
        bench.Setup();
        Measure("ScheduleCancel (one schedule + one cancel)", () => bench.ScheduleCancel());
        Measure("ScheduleFire (one schedule + fire + take)", () => bench.ScheduleFire());
    }

    private static void Measure(string name, Func<int> body)
    {
        for (var i = 0; i < 5; i++)
        {
            body(); // warm-up: tiering and level creation
        }

        var cpu = new List<double>();
        var wall = new List<double>();
        for (var run = 0; run < 9; run++)
        {
            var cpu0 = ThreadCpuNs();
            var watch = Stopwatch.StartNew();
            body();
            watch.Stop();
            cpu.Add((ThreadCpuNs() - cpu0) / (double)Timers);
            wall.Add(watch.Elapsed.TotalNanoseconds / Timers);
        }

        cpu.Sort();
        wall.Sort();
        var median = cpu[cpu.Count / 2];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}: per timer CPU median {median:F1} ns (min {cpu[0]:F1}, max {cpu[^1]:F1}) = {1e3 / median:F1} M/s of thread CPU; wall median {wall[wall.Count / 2]:F1} ns"));
    }

    private static long ThreadCpuNs() =>
        long.Parse(File.ReadAllText("/proc/thread-self/schedstat").Split(' ')[0], CultureInfo.InvariantCulture);
}
