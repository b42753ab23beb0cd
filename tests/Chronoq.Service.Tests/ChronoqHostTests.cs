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
        // The server's runtimeconfig.json (copied next to its assembly) is what the process starts with.
        var path = Path.ChangeExtension(typeof(ChronoqHost).Assembly.Location, ".runtimeconfig.json");

        using var config = JsonDocument.Parse(File.ReadAllText(path));
        var properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        Assert.Equal(0, properties.GetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit").GetInt32());
    }
}
