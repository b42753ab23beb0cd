using BenchmarkDotNet.Running;

namespace Chronoq.Benchmarks;

/// <summary>Runs the suites chosen on the command line, e.g. <c>--filter *Frame*</c>.</summary>
public static class BenchmarkEntryPoint
{
    public static void Main(string[] args) =>
        BenchmarkSwitcher.FromAssembly(typeof(BenchmarkEntryPoint).Assembly).Run(args);
}
