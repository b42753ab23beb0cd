using System.Diagnostics;
using BenchmarkDotNet.Attributes;

namespace Chronoq.Benchmarks.Framing;

/// <summary>
/// <see cref="LoopbackCallBenchmarks.Unary"/> against <see cref="KestrelFloorServer"/>: the same
/// client, calls and CPU sampling, with bare Kestrel as the server. The gap between the two
/// <c>// SERVER-CPU</c> lines is what Chronoq's transport, middleware and health service add.
/// </summary>
[MemoryDiagnoser]
// Per-iteration CPU sampling needs [IterationSetup], which would otherwise make an iteration one
// invocation (64 calls: under the 10 ms tick of the process CPU clock); 200 invocations are
// 12,800 calls, ~0.2 s of server CPU per iteration.
[InvocationCount(200)]
public class KestrelFloorBenchmarks
{
    private const int Concurrency = 64;

    private LoopbackServerProcess _server = null!;

    // Synchronous on purpose: the in-process toolchain does not await an async GlobalSetup.
    [GlobalSetup]
    public void Setup()
    {
        var port = LoopbackServerProcess.FreePort();
        var start = new ProcessStartInfo("dotnet", [typeof(KestrelFloorServer).Assembly.Location, KestrelFloorServer.Command, port.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        _server = LoopbackServerProcess.StartAsync(start, new Uri($"http://127.0.0.1:{port}")).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _server.Report("kestrel-floor");
        _server.Dispose();
    }

    [IterationSetup]
    public void BeginIteration() => _server.BeginIteration();

    [IterationCleanup]
    public void EndIteration() => _server.EndIteration();

    /// <summary>64 concurrent unary calls; the reported time is per call.</summary>
    [Benchmark(OperationsPerInvoke = Concurrency)]
    public Task Unary() => UnaryBurst.RunAsync(_server, Concurrency);
}
