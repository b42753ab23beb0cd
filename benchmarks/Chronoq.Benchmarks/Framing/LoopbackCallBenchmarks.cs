using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Chronoq.Protocol.Grpc;
using Chronoq.Service;
using Google.Protobuf;
using Grpc.Health.V1;
using Grpc.Reflection.V1;

namespace Chronoq.Benchmarks.Framing;

/// <summary>
/// Calls over loopback h2c against the real server in its own process (so its CPU time is its
/// own), with a bare HttpClient as the client. Unary: health Check, 64 in flight. Streaming:
/// reflection list_services on one bidi stream, 1,000 requests then 1,000 responses.
/// At the end it prints the server's CPU time per unary call.
/// </summary>
[MemoryDiagnoser]
public class LoopbackCallBenchmarks
{
    private const int Concurrency = 64;
    private const int StreamMessages = 1000;

    private Process? _server;
    private HttpClient _client = null!;
    private Uri _address = null!;
    private byte[] _checkFrame = null!;
    private byte[] _listFrame = null!;
    private long _unaryCalls;
    private TimeSpan _serverCpuAtStart;

    // Synchronous on purpose: the in-process toolchain does not await an async GlobalSetup.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        var grpcPort = FreePort();
        var httpPort = FreePort();
        var serviceDll = typeof(ChronoqHost).Assembly.Location;
        var start = new ProcessStartInfo("dotnet", [serviceDll])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            Environment =
            {
                ["Chronoq__GrpcUrl"] = $"http://127.0.0.1:{grpcPort}",
                ["Chronoq__HttpUrl"] = $"http://127.0.0.1:{httpPort}",
                ["Logging__LogLevel__Default"] = "Warning",
                ["DOTNET_gcServer"] = "0",
            },
        };
        _server = Process.Start(start) ?? throw new InvalidOperationException("Could not start the server.");
        _server.OutputDataReceived += static (_, _) => { };
        _server.ErrorDataReceived += static (_, _) => { };
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();

        _address = new Uri($"http://127.0.0.1:{grpcPort}");
        _client = new HttpClient(new SocketsHttpHandler { EnableMultipleHttp2Connections = true })
        {
            BaseAddress = _address,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        _checkFrame = Frame(new HealthCheckRequest());
        var list = new ArrayBufferWriter<byte>();
        for (var i = 0; i < StreamMessages; i++)
        {
            GrpcFraming.TryWriteMessage(list, new ServerReflectionRequest { ListServices = string.Empty });
        }

        _listFrame = list.WrittenSpan.ToArray();

        using var ready = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            try
            {
                await UnaryAsync();
                break;
            }
            catch (HttpRequestException) when (!ready.IsCancellationRequested)
            {
                await Task.Delay(100, ready.Token);
            }
        }

        _server.Refresh();
        _serverCpuAtStart = _server.TotalProcessorTime;
        _unaryCalls = 0;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_server is { HasExited: false })
        {
            _server.Refresh();
            var cpu = _server.TotalProcessorTime - _serverCpuAtStart;
            if (_unaryCalls > 0)
            {
                Console.WriteLine($"// SERVER-CPU: {_unaryCalls} unary calls, {cpu.TotalMilliseconds:F0} ms server CPU, {cpu.TotalMicroseconds / _unaryCalls:F2} us per call");
            }

            _server.Kill(entireProcessTree: true);
            _server.WaitForExit(10_000);
        }

        _client.Dispose();
    }

    /// <summary>64 concurrent unary calls; the reported time is per call.</summary>
    [Benchmark(OperationsPerInvoke = Concurrency)]
    public async Task Unary()
    {
        var calls = new Task[Concurrency];
        for (var i = 0; i < calls.Length; i++)
        {
            calls[i] = UnaryAsync();
        }

        await Task.WhenAll(calls);
        _unaryCalls += Concurrency;
    }

    /// <summary>1,000 request and 1,000 response messages on one bidi stream; the reported time is per response message.</summary>
    [Benchmark(OperationsPerInvoke = StreamMessages)]
    public async Task Streaming()
    {
        using var request = NewRequest("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", _listFrame);
        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
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

    private async Task UnaryAsync()
    {
        using var request = NewRequest("/grpc.health.v1.Health/Check", _checkFrame);
        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseContentRead);
        var body = await response.Content.ReadAsByteArrayAsync();
        if (body.Length < GrpcFraming.HeaderSize || !response.TrailingHeaders.TryGetValues(GrpcHeaderNames.Status, out var status) || status.First() != "0")
        {
            throw new InvalidOperationException("Health check failed.");
        }
    }

    private static HttpRequestMessage NewRequest(string path, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(GrpcHeaderNames.ContentType);
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = content,
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        return request;
    }

    private static byte[] Frame(IMessage message)
    {
        var buffer = new ArrayBufferWriter<byte>();
        GrpcFraming.TryWriteMessage(buffer, message);
        return buffer.WrittenSpan.ToArray();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
