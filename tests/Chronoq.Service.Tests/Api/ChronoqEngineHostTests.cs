using System.Net;
using System.Net.Sockets;
using Chronoq.Core;
using Chronoq.Service.Health;
using Chronoq.Service.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Chronoq.Service.Tests.Api;

/// <summary>The engine's hosting on its own: health around recovery and stop, storage selection.</summary>
public sealed class ChronoqEngineHostTests
{
    private const string ServiceName = "chronoq.v1.Chronoq";

    [Fact]
    public async Task StartAsync_WhileStorageUnreachable_NotServingUntilItGivesUp()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var health = new HealthStatusRegistry();
        var host = Host(health, new ChronoqStorageOptions
        {
            ConnectionString = new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = ClosedPort(), Database = "d", Username = "u", Timeout = 1 }.ConnectionString,
            StartupTimeout = TimeSpan.FromSeconds(2),
        });

        var start = host.StartAsync(timeout.Token);
        await Task.Delay(300, timeout.Token);

        Assert.False(start.IsCompleted, "start-up should still be retrying");
        Assert.True(health.TryGetStatus(ServiceName, out var during));
        Assert.Equal(ServingStatus.NotServing, during);
        Assert.Null(host.Engine);
        await Assert.ThrowsAsync<InvalidOperationException>(() => start);
        Assert.True(health.TryGetStatus(ServiceName, out var after));
        Assert.Equal(ServingStatus.NotServing, after);
    }

    [Fact]
    public async Task StartAsync_NoConnectionString_MemoryEngineServingThenStopNotServing()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var health = new HealthStatusRegistry();
        var host = Host(health, new ChronoqStorageOptions());

        await host.StartAsync(timeout.Token);

        Assert.Equal("memory", host.StorageKind);
        Assert.NotNull(host.Engine);
        Assert.True(health.TryGetStatus(ServiceName, out var serving));
        Assert.Equal(ServingStatus.Serving, serving);
        var put = await host.Engine.PutAsync(new JobSpec { Topic = "t" });
        Assert.True(put.IsOk);

        var engine = host.Engine;
        await host.StopAsync(timeout.Token);

        Assert.Null(host.Engine);
        Assert.True(health.TryGetStatus(ServiceName, out var stopped));
        Assert.Equal(ServingStatus.NotServing, stopped);
        Assert.Equal(ErrorCode.Unavailable, (await engine.PutAsync(new JobSpec { Topic = "t" })).Status.Code);
    }

    private static ChronoqEngineHost Host(HealthStatusRegistry health, ChronoqStorageOptions options) =>
        new(Options.Create(options), new ConfigurationBuilder().Build(), health, TimeProvider.System, NullLoggerFactory.Instance);

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
