using BenchmarkDotNet.Running;

namespace Chronoq.Benchmarks;

/// <summary>Runs the suites chosen on the command line, e.g. <c>--filter *Frame*</c>.</summary>
public static class BenchmarkEntryPoint
{
    public static async Task Main(string[] args)
    {
        // Timed suites that BenchmarkDotNet does not fit (percentiles, one-shot runs) take a verb.
        if (args.Length > 0 && args[0] == Storage.PostgresStoreBenchmark.Command)
        {
            await Storage.PostgresStoreBenchmark.RunAsync(args[1..]);
            return;
        }

        if (args.Length > 0 && args[0] == Storage.BodyCacheBenchmark.Command)
        {
            await Storage.BodyCacheBenchmark.RunAsync(args[1..]);
            return;
        }

        if (args.Length > 0 && args[0] == Sdk.SdkThroughputBenchmark.Command)
        {
            await Sdk.SdkThroughputBenchmark.RunAsync(args[1..]);
            return;
        }

        if (args.Length > 0 && args[0] == Engine.EngineCpuRun.Command)
        {
            Engine.EngineCpuRun.Run(args[1..]);
            return;
        }

        if (args.Length > 0 && args[0] == Engine.DelayedJobMemoryRun.Command)
        {
            await Engine.DelayedJobMemoryRun.RunAsync(args[1..]);
            return;
        }

        if (args.Length > 0 && args[0] == Framing.KestrelFloorServer.Command)
        {
            await Framing.KestrelFloorServer.RunAsync(args[1..]);
            return;
        }

        if (args.Length > 0 && args[0] == Wheel.WheelCpuRun.Command)
        {
            Wheel.WheelCpuRun.Run();
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(BenchmarkEntryPoint).Assembly).Run(args);
    }
}
