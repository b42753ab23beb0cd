using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Chronoq.Sdk;
using Chronoq.Service.Telemetry;
using Chronoq.Service.Telemetry.Internal;
using Chronoq.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Chronoq.Operations.Tests.Telemetry;

/// <summary>The OpenTelemetry SDK pipeline: off without an endpoint, exporting spans and metrics over OTLP with one.</summary>
[Collection(ProcessWideTelemetryCollection.Name)]
public sealed class OtlpExportTests
{
    [Fact]
    public async Task Pipeline_WithoutEndpoint_IsOff()
    {
        await using var server = await LoopbackServer.StartAsync();

        var pipeline = server.Services.GetRequiredService<OpenTelemetryPipeline>();

        Assert.Null(pipeline.Tracing);
        Assert.Null(pipeline.Metrics);
    }

    [Fact]
    public async Task Pipeline_SdkDisabled_IsOffEvenWithAnEndpoint()
    {
        await using var server = await LoopbackServer.StartAsync(options =>
        {
            options.Configuration[OpenTelemetryEnvironment.Endpoint] = "http://127.0.0.1:9";
            options.Configuration[OpenTelemetryEnvironment.SdkDisabled] = "true";
        });

        var pipeline = server.Services.GetRequiredService<OpenTelemetryPipeline>();

        Assert.Null(pipeline.Tracing);
        Assert.Null(pipeline.Metrics);
    }

    [Fact]
    public async Task Pipeline_WithEndpoint_ExportsRpcSpansAndChronoqAndRuntimeMetricsOverOtlp()
    {
        using var collector = new FakeCollector();
        var server = await LoopbackServer.StartAsync(options =>
        {
            options.Configuration[OpenTelemetryEnvironment.Endpoint] = collector.Address.ToString();
            options.Configuration[OpenTelemetryEnvironment.Protocol] = "http/protobuf";
            options.Configuration[OpenTelemetryEnvironment.ServiceName] = "chronoq-under-test";
            options.Configuration[OpenTelemetryEnvironment.MetricExportInterval] = "200";
        });
        await using (server)
        {
            var pipeline = server.Services.GetRequiredService<OpenTelemetryPipeline>();
            Assert.NotNull(pipeline.Tracing);
            Assert.NotNull(pipeline.Metrics);
            await using var client = new ChronoqClient(ChronoqClientOptions.Default with { Address = server.GrpcAddress, EnableBatching = false });
            await client.PutAsync("otlp-topic", "x"u8.ToArray());

            // Metrics flow on their own every export interval: the job gauge of the new topic arrives while the server runs.
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            while (!collector.Bodies("/v1/metrics").Any(static body => body.Contains("chronoq.jobs", StringComparison.Ordinal) && body.Contains("otlp-topic", StringComparison.Ordinal)))
            {
                await Task.Delay(50, wait.Token);
            }
        }

        // Stopping disposes the providers, which flushes what is still buffered.
        var traces = collector.Bodies("/v1/traces");
        var metrics = collector.Bodies("/v1/metrics");
        Assert.True(traces.Any(body => body.Contains("chronoq.v1.Chronoq/Put", StringComparison.Ordinal) && body.Contains("chronoq-under-test", StringComparison.Ordinal)), $"no Put span among: {collector.Describe()}");
        Assert.True(metrics.Any(body => body.Contains("chronoq.timer_wheel.size", StringComparison.Ordinal)), $"no wheel-size metric among: {collector.Describe()}");
        Assert.True(metrics.Any(body => body.Contains("dotnet.gc.collections", StringComparison.Ordinal)), $"no runtime metric among: {collector.Describe()}");
    }

    /// <summary>An OTLP/HTTP receiver on loopback that keeps every request body (protobuf; strings inside are plain UTF-8).</summary>
    private sealed class FakeCollector : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly ConcurrentQueue<(string Path, string Body)> _requests = new();
        private readonly Task _loop;

        public FakeCollector()
        {
            var port = FreePort();
            Address = new Uri($"http://127.0.0.1:{port}/");
            _listener.Prefixes.Add(Address.ToString());
            _listener.Start();
            _loop = Task.Run(ServeAsync);
        }

        public Uri Address { get; }

        public IReadOnlyList<string> Bodies(string path) => _requests.Where(r => r.Path == path).Select(static r => r.Body).ToList();

        public string Describe() => _requests.IsEmpty ? "no requests" : string.Join(", ", _requests.Select(static r => $"{r.Path} ({r.Body.Length} chars)"));

        public void Dispose()
        {
            _listener.Close();
            _loop.Wait(TimeSpan.FromSeconds(5));
        }

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                _requests.Enqueue((context.Request.Url!.AbsolutePath, Encoding.UTF8.GetString(body.ToArray())));
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/x-protobuf";
                context.Response.Close();
            }
        }

        private static int FreePort()
        {
            using var socket = new TcpListener(IPAddress.Loopback, 0);
            socket.Start();
            return ((IPEndPoint)socket.LocalEndpoint).Port;
        }
    }
}
