using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.Http.Headers;
using BenchmarkDotNet.Attributes;
using Chronoq.Protocol.Grpc;
using Chronoq.Service;
using Grpc.Reflection.V1;

namespace Chronoq.Benchmarks.Framing;

/// <summary>
/// Calls over loopback h2c against the real server in its own process (so its CPU time is its
/// own), with a bare HttpClient as the client. Unary: health Check, 64 in flight. Streaming:
/// reflection list_services on one bidi stream, 1,000 requests then 1,000 responses.
/// At the end it prints the server's CPU time per unary call (see <see cref="LoopbackServerProcess"/>);
/// <see cref="KestrelFloorBenchmarks"/> is the same Unary against bare Kestrel, the floor.
/// </summary>
[MemoryDiagnoser]
// Per-iteration CPU sampling needs [IterationSetup], which would otherwise make an iteration one
// invocation (64 calls: under the 10 ms tick of the process CPU clock); 200 invocations are
// 12,800 calls, ~0.2 s of server CPU per iteration.
[InvocationCount(200)]
public class LoopbackCallBenchmarks
{
    private const int Concurrency = 64;
    private const int StreamMessages = 1000;

    private LoopbackServerProcess _server = null!;
    private byte[] _listFrame = null!;

    // Synchronous on purpose: the in-process toolchain does not await an async GlobalSetup.
    [GlobalSetup]
    public void Setup()
    {
        var grpcPort = LoopbackServerProcess.FreePort();
        var httpPort = LoopbackServerProcess.FreePort();
        var start = new ProcessStartInfo("dotnet", [typeof(ChronoqHost).Assembly.Location])
        {
            Environment =
            {
                ["Chronoq__GrpcUrl"] = $"http://127.0.0.1:{grpcPort}",
                ["Chronoq__HttpUrl"] = $"http://127.0.0.1:{httpPort}",
                ["Logging__LogLevel__Default"] = "Warning",
            },
        };
        _server = LoopbackServerProcess.StartAsync(start, new Uri($"http://127.0.0.1:{grpcPort}")).GetAwaiter().GetResult();

        var list = new ArrayBufferWriter<byte>();
        for (var i = 0; i < StreamMessages; i++)
        {
            GrpcFraming.TryWriteMessage(list, new ServerReflectionRequest { ListServices = string.Empty });
        }

        _listFrame = list.WrittenSpan.ToArray();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _server.Report("chronoq");
        _server.Dispose();
    }

    [IterationSetup(Target = nameof(Unary))]
    public void BeginUnaryIteration() => _server.BeginIteration();

    [IterationCleanup(Target = nameof(Unary))]
    public void EndUnaryIteration() => _server.EndIteration();

    /// <summary>64 concurrent unary calls; the reported time is per call.</summary>
    [Benchmark(OperationsPerInvoke = Concurrency)]
    public Task Unary() => UnaryBurst.RunAsync(_server, Concurrency);

    /// <summary>1,000 request and 1,000 response messages on one bidi stream; the reported time is per response message.</summary>
    [Benchmark(OperationsPerInvoke = StreamMessages)]
    public async Task Streaming()
    {
        var content = new ByteArrayContent(_listFrame);
        content.Headers.ContentType = new MediaTypeHeaderValue(GrpcHeaderNames.ContentType);
        using var request = LoopbackServerProcess.NewRequest("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", content);
        using var response = await _server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var reader = PipeReader.Create(await response.Content.ReadAsStreamAsync());
        var count = 0;
        while ((await GrpcFraming.ReadMessageAsync(reader, ServerReflectionResponse.Parser, int.MaxValue)).Status == GrpcFrameReadStatus.Message)
        {
            count++;
        }

        if (count != StreamMessages)
        {
            throw new InvalidOperationException($"Got {count} of {StreamMessages} messages.");
        }
    }
}
