using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Chronoq.Protocol.Grpc;
using Grpc.Health.V1;

namespace Chronoq.Benchmarks.Framing;

/// <summary>
/// A server under test in its own process, reached over loopback h2c by a bare HttpClient, with
/// its CPU time sampled per benchmark iteration. The per-call figure is taken per iteration and
/// the median of the last half is reported: the whole-run ratio also charges the calls with the
/// server's start-up JIT, tier-up and idle background work, which depend on how long the run
/// lasts (on a loaded machine: how slow it is), not on how many calls it served.
/// </summary>
internal sealed class LoopbackServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly byte[] _checkFrame;
    private readonly List<double> _microsecondsPerCall = [];
    private TimeSpan _iterationCpuStart;
    private long _iterationCallsStart;

    private LoopbackServerProcess(Process process, Uri address)
    {
        _process = process;
        Client = new HttpClient(new SocketsHttpHandler { EnableMultipleHttp2Connections = true })
        {
            BaseAddress = address,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        var frame = new ArrayBufferWriter<byte>();
        GrpcFraming.TryWriteMessage(frame, new HealthCheckRequest());
        _checkFrame = frame.WrittenSpan.ToArray();
    }

    public HttpClient Client { get; }

    /// <summary>Unary calls completed so far.</summary>
    public long Calls { get; set; }

    /// <summary>The server's CPU time while idle after warm-up, in ms per second, measured at start.</summary>
    public double IdleCpuMillisecondsPerSecond { get; private set; }

    /// <summary>Starts <paramref name="start"/>, waits until it answers a health Check, then measures its idle CPU.</summary>
    public static async Task<LoopbackServerProcess> StartAsync(ProcessStartInfo start, Uri address)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        start.Environment["DOTNET_gcServer"] = "0";
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the server.");
        process.OutputDataReceived += static (_, _) => { };
        process.ErrorDataReceived += static (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new LoopbackServerProcess(process, address);

        using var ready = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            try
            {
                await server.CheckAsync();
                break;
            }
            catch (HttpRequestException) when (!ready.IsCancellationRequested)
            {
                await Task.Delay(100, ready.Token);
            }
        }

        // What the server burns with no calls at all (timers, tick loops), to tell apart from per-call cost.
        var idleFrom = server.Cpu();
        var clock = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(2));
        server.IdleCpuMillisecondsPerSecond = (server.Cpu() - idleFrom).TotalMilliseconds / clock.Elapsed.TotalSeconds;
        return server;
    }

    /// <summary>One health Check; throws unless it answered a message with <c>grpc-status: 0</c>.</summary>
    public async Task CheckAsync()
    {
        using var content = new ByteArrayContent(_checkFrame);
        content.Headers.ContentType = new MediaTypeHeaderValue(GrpcHeaderNames.ContentType);
        using var request = NewRequest("/grpc.health.v1.Health/Check", content);
        using var response = await Client.SendAsync(request, HttpCompletionOption.ResponseContentRead);
        var body = await response.Content.ReadAsByteArrayAsync();
        if (body.Length < GrpcFraming.HeaderSize || !response.TrailingHeaders.TryGetValues(GrpcHeaderNames.Status, out var status) || status.First() != "0")
        {
            throw new InvalidOperationException("Health check failed.");
        }
    }

    public static HttpRequestMessage NewRequest(string path, HttpContent content)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = content,
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        return request;
    }

    public void BeginIteration()
    {
        _iterationCpuStart = Cpu();
        _iterationCallsStart = Calls;
    }

    public void EndIteration()
    {
        var calls = Calls - _iterationCallsStart;
        if (calls > 0)
        {
            _microsecondsPerCall.Add((Cpu() - _iterationCpuStart).TotalMicroseconds / calls);
        }
    }

    /// <summary>Prints the <c>// SERVER-CPU</c> line: median per-call CPU over the last half of the iterations (the measured ones).</summary>
    public void Report(string name)
    {
        if (_microsecondsPerCall.Count == 0)
        {
            return;
        }

        var measured = _microsecondsPerCall.Skip(_microsecondsPerCall.Count / 2).Order().ToArray();
        var median = measured[measured.Length / 2];
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"// SERVER-CPU {name}: median {median:F2} us per call over the last {measured.Length} iterations (min {measured[0]:F2}, max {measured[^1]:F2}); {Calls} calls in all; idle {IdleCpuMillisecondsPerSecond:F1} ms CPU per s"));
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
        Client.Dispose();
    }

    private TimeSpan Cpu()
    {
        _process.Refresh();
        return _process.TotalProcessorTime;
    }
}
