using Chronoq.Protocol.Grpc;
using Chronoq.Service.Health;
using Chronoq.Service.Tests.Support;
using Chronoq.Testing;
using Grpc.Health.V1;
using Microsoft.Extensions.DependencyInjection;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Chronoq.Service.Tests.Health;

public sealed class HealthServiceTests
{
    private const string CheckPath = "/grpc.health.v1.Health/Check";
    private const string WatchPath = "/grpc.health.v1.Health/Watch";

    [Theory]
    [InlineData("")]
    [InlineData("chronoq.v1.Chronoq")]
    public async Task Check_KnownService_Serving(string service)
    {
        var ct = TestServer.Timeout();
        await using var server = await LoopbackServer.StartAsync(cancellationToken: ct);
        using var client = new RawGrpcClient(server.GrpcAddress);

        var (response, outcome) = await client.UnaryAsync(CheckPath, new HealthCheckRequest { Service = service }, HealthCheckResponse.Parser, ct);

        Assert.Equal(StatusCode.OK, outcome.Status);
        Assert.Equal(ServingStatus.Serving, response?.Status);
    }

    [Fact]
    public async Task Check_UnknownService_NotFound()
    {
        var ct = TestServer.Timeout();
        await using var server = await LoopbackServer.StartAsync(cancellationToken: ct);
        using var client = new RawGrpcClient(server.GrpcAddress);

        var (response, outcome) = await client.UnaryAsync(CheckPath, new HealthCheckRequest { Service = "nope.Service" }, HealthCheckResponse.Parser, ct);

        Assert.Null(response);
        Assert.Equal(StatusCode.NotFound, outcome.Status);
    }

    [Fact]
    public async Task Check_HugeUnknownServiceName_NotFoundWithAbbreviatedMessage()
    {
        var ct = TestServer.Timeout();
        await using var server = await LoopbackServer.StartAsync(cancellationToken: ct);
        using var client = new RawGrpcClient(server.GrpcAddress);

        var (_, outcome) = await client.UnaryAsync(CheckPath, new HealthCheckRequest { Service = new string('x', 1 << 20) }, HealthCheckResponse.Parser, ct);

        Assert.Equal(StatusCode.NotFound, outcome.Status);
        Assert.InRange(outcome.Message?.Length ?? 0, 1, 1024);
    }

    [Fact]
    public async Task Watch_StatusChanges_StreamsEachChange()
    {
        var ct = TestServer.Timeout();
        await using var server = await LoopbackServer.StartAsync(cancellationToken: ct);
        using var client = new RawGrpcClient(server.GrpcAddress);
        var registry = server.Services.GetRequiredService<HealthStatusRegistry>();

        using var call = await client.SendMessageAsync(WatchPath, new HealthCheckRequest { Service = "chronoq.v1.Chronoq" }, ct);
        Assert.Equal(ServingStatus.Serving, (await call.ReadMessageAsync(HealthCheckResponse.Parser, ct))?.Status);
        registry.SetStatus("chronoq.v1.Chronoq", ServingStatus.NotServing);
        Assert.Equal(ServingStatus.NotServing, (await call.ReadMessageAsync(HealthCheckResponse.Parser, ct))?.Status);
        registry.SetStatus("chronoq.v1.Chronoq", ServingStatus.Serving);
        Assert.Equal(ServingStatus.Serving, (await call.ReadMessageAsync(HealthCheckResponse.Parser, ct))?.Status);
    }

    [Fact]
    public async Task Watch_UnknownService_ServiceUnknownThenKnown()
    {
        var ct = TestServer.Timeout();
        await using var server = await LoopbackServer.StartAsync(cancellationToken: ct);
        using var client = new RawGrpcClient(server.GrpcAddress);
        var registry = server.Services.GetRequiredService<HealthStatusRegistry>();

        using var call = await client.SendMessageAsync(WatchPath, new HealthCheckRequest { Service = "later.Service" }, ct);
        Assert.Equal(ServingStatus.ServiceUnknown, (await call.ReadMessageAsync(HealthCheckResponse.Parser, ct))?.Status);
        registry.SetStatus("later.Service", ServingStatus.Serving);
        Assert.Equal(ServingStatus.Serving, (await call.ReadMessageAsync(HealthCheckResponse.Parser, ct))?.Status);
    }

    [Fact]
    public async Task Watch_HostStops_NotServingThenStreamEnds()
    {
        var ct = TestServer.Timeout();
        await using var server = await LoopbackServer.StartAsync(cancellationToken: ct);
        using var client = new RawGrpcClient(server.GrpcAddress);

        using var call = await client.SendMessageAsync(WatchPath, new HealthCheckRequest(), ct);
        Assert.Equal(ServingStatus.Serving, (await call.ReadMessageAsync(HealthCheckResponse.Parser, ct))?.Status);
        var stopping = server.StopAsync(ct);

        Assert.Equal(ServingStatus.NotServing, (await call.ReadMessageAsync(HealthCheckResponse.Parser, ct))?.Status);
        Assert.Null(await call.ReadMessageAsync(HealthCheckResponse.Parser, ct));
        Assert.Equal(StatusCode.OK, (await call.ReadStatusAsync(ct)).Status);
        await stopping;
    }

    [Fact]
    public void SetStatus_AfterShutdownBegan_Ignored()
    {
        var registry = new HealthStatusRegistry();
        registry.BeginShutdown();

        registry.SetStatus(HealthStatusRegistry.OverallService, ServingStatus.Serving);

        Assert.True(registry.TryGetStatus(HealthStatusRegistry.OverallService, out var status));
        Assert.Equal(ServingStatus.NotServing, status);
    }
}
