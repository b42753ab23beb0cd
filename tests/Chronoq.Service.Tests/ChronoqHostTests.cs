using System.Text.Json;
using Chronoq.Protocol.Grpc;
using Chronoq.Service.Tests.Support;
using Chronoq.Testing;
using Grpc.Health.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Chronoq.Service.Tests;

public sealed class ChronoqHostTests
{
    private const string HostingCategory = "Microsoft.AspNetCore.Hosting.Diagnostics";
    private const string CheckPath = "/grpc.health.v1.Health/Check";

    [Fact]
    public async Task GrpcCall_Defaults_HostingCategoryOffSoNoPerRequestActivityOrLog()
    {
        var ct = TestServer.Timeout();
        await using var server = await LoopbackServer.StartAsync(cancellationToken: ct);
        using var client = new RawGrpcClient(server.GrpcAddress);

        var (_, outcome) = await client.UnaryAsync(CheckPath, new HealthCheckRequest(), HealthCheckResponse.Parser, ct);

        Assert.Equal(StatusCode.OK, outcome.Status);
        // Enabled at any level, ASP.NET would start an Activity and a log scope for every request.
        Assert.False(server.Services.GetRequiredService<ILoggerFactory>().CreateLogger(HostingCategory).IsEnabled(LogLevel.Critical));
        Assert.DoesNotContain(server.Logs, log => log.Category == HostingCategory);
    }

    [Fact]
    public async Task GrpcCall_HostingCategoryConfigured_RequestsAreLoggedAgain()
    {
        var ct = TestServer.Timeout();
        await using var server = await LoopbackServer.StartAsync(
            options => options.Configuration[$"Logging:LogLevel:{HostingCategory}"] = "Information",
            ct);
        using var client = new RawGrpcClient(server.GrpcAddress);

        var (_, outcome) = await client.UnaryAsync(CheckPath, new HealthCheckRequest(), HealthCheckResponse.Parser, ct);

        Assert.Equal(StatusCode.OK, outcome.Status);
        // "Request starting" is written before the pipeline runs, so it is there once the call answered.
        Assert.Contains(server.Logs, log => log.Category == HostingCategory && log.Message.Contains(CheckPath, StringComparison.Ordinal));
    }

    [Fact]
    public void RuntimeConfig_ThreadPoolWorkersDoNotSpinForWork()
    {
        using var config = ServerRuntimeConfig();

        Assert.Equal(0, Properties(config).GetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit").GetInt32());
    }

    [Fact]
    public void RuntimeConfig_ServerGcWithItsDynamicAdaptation()
    {
        using var config = ServerRuntimeConfig();
        var properties = Properties(config);

        Assert.True(properties.GetProperty("System.GC.Server").GetBoolean());
        // DATAS is the default; a DynamicAdaptationMode property would only ever turn it off.
        Assert.False(properties.TryGetProperty("System.GC.DynamicAdaptationMode", out _));
    }

    /// <summary>The server's runtimeconfig.json (copied next to its assembly): what the process starts with.</summary>
    private static JsonDocument ServerRuntimeConfig() =>
        JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(typeof(ChronoqHost).Assembly.Location, ".runtimeconfig.json")));

    private static JsonElement Properties(JsonDocument config) =>
        config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");
}
