using System.Collections.Concurrent;
using System.Diagnostics;
using Chronoq.Core.Telemetry;
using Chronoq.Protocol.Grpc;
using Chronoq.Sdk;
using Chronoq.Testing;

namespace Chronoq.Operations.Tests.Telemetry;

/// <summary>A server span per RPC, with the OpenTelemetry RPC attributes and the caller's trace as parent.</summary>
[Collection(ProcessWideTelemetryCollection.Name)]
public sealed class RpcTracingTests : IAsyncLifetime, IDisposable
{
    private readonly ConcurrentQueue<Activity> _spans = new();
    private readonly ActivityListener _listener;
    private LoopbackServer _server = null!;

    public RpcTracingTests()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = static source => source.Name is ChronoqInstrumentation.ActivitySourceName or ChronoqTelemetry.ActivitySourceName,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _spans.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public async Task InitializeAsync() => _server = await LoopbackServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose() => _listener.Dispose();

    [Fact]
    public async Task Put_IsTracedAsAServerSpanUnderTheClientsTrace()
    {
        await using var client = new ChronoqClient(ChronoqClientOptions.Default with { Address = _server.GrpcAddress, EnableBatching = false });
        using var parent = new Activity("test-parent").Start();

        await client.PutAsync("traced", "x"u8.ToArray());

        var span = await ServerSpanAsync("chronoq.v1.Chronoq/Put");
        Assert.Equal(ActivityKind.Server, span.Kind);
        Assert.Equal(parent.TraceId, span.TraceId);
        Assert.Equal("grpc", span.GetTagItem("rpc.system"));
        Assert.Equal("chronoq.v1.Chronoq", span.GetTagItem("rpc.service"));
        Assert.Equal("Put", span.GetTagItem("rpc.method"));
        Assert.Equal(0, span.GetTagItem("rpc.grpc.status_code"));
        Assert.Equal(ActivityStatusCode.Unset, span.Status);
    }

    [Fact]
    public async Task FailedCall_CarriesItsStatus_OnlyServerFaultsMarkTheSpanAnError()
    {
        await using var client = new ChronoqClient(ChronoqClientOptions.Default with { Address = _server.GrpcAddress, EnableBatching = false, MaxCallAttempts = 1 });

        var notFound = await Assert.ThrowsAsync<RpcException>(() => client.KickJobAsync(987_654_321));

        Assert.Equal(StatusCode.NotFound, notFound.StatusCode);
        var span = await ServerSpanAsync("chronoq.v1.Chronoq/KickJob");
        Assert.Equal((int)StatusCode.NotFound, span.GetTagItem("rpc.grpc.status_code"));
        Assert.Equal(ActivityStatusCode.Unset, span.Status);
    }

    private async Task<Activity> ServerSpanAsync(string name)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            // The span stops after the response is written, so it may trail the client's answer a little.
            var span = _spans.FirstOrDefault(a => a.Source.Name == ChronoqInstrumentation.ActivitySourceName && a.DisplayName == name && Equals(a.GetTagItem("server.port"), _server.GrpcAddress.Port));
            if (span is not null)
            {
                return span;
            }

            await Task.Delay(10, timeout.Token);
        }
    }
}
