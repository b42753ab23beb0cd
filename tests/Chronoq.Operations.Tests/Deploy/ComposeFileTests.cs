using System.Diagnostics;
using System.Text.RegularExpressions;
using Chronoq.Protocol.V1;
using Chronoq.Service.Health;
using Chronoq.Service.Telemetry;
using Chronoq.Testing;
using Grpc.Health.V1;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using YamlDotNet.RepresentationModel;

namespace Chronoq.Operations.Tests.Deploy;

/// <summary>docker-compose.yml against the server: environment, ports, the database wiring, and a health check that really runs.</summary>
[Collection(Telemetry.ProcessWideTelemetryCollection.Name)]
public sealed partial class ComposeFileTests
{
    private static readonly YamlMappingNode Compose = YamlFile.Load("docker-compose.yml").Single();

    private static YamlNode Chronoq => Compose.At("services", "chronoq");

    private static IReadOnlyDictionary<string, string> Environment => Chronoq.At("environment").Strings();

    [Fact]
    public void Chronoq_Environment_IsReadByTheServer()
    {
        foreach (var name in Environment.Keys)
        {
            Assert.True(ServiceSettings.IsKnownVariable(name, out var why), $"environment {name}: {why}");
        }
    }

    [Fact]
    public void Chronoq_Ports_PublishTheListenUrlsPorts()
    {
        var published = Chronoq.At("ports").Items().Select(static p => p.Text().Split(':')).ToDictionary(static p => int.Parse(p[^1], System.Globalization.CultureInfo.InvariantCulture), static p => p[0]);
        foreach (var setting in new[] { "Chronoq__GrpcUrl", "Chronoq__HttpUrl" })
        {
            Assert.True(ServiceSettings.BindsAllInterfaces(Environment[setting]), $"{setting} must listen on all interfaces inside a container");
            Assert.True(published.ContainsKey(ServiceSettings.PortOf(Environment[setting])), $"the port of {setting} is not published");
        }
    }

    [Fact]
    public void Chronoq_StopGracePeriod_ExceedsTheServersShutdownTimeout()
    {
        var timeout = TimeSpan.Parse(Environment["Chronoq__ShutdownTimeout"], System.Globalization.CultureInfo.InvariantCulture);
        var grace = Chronoq.At("stop_grace_period").Text();
        Assert.EndsWith("s", grace, StringComparison.Ordinal);
        Assert.True(TimeSpan.FromSeconds(int.Parse(grace[..^1], System.Globalization.CultureInfo.InvariantCulture)) > timeout, "compose would SIGKILL the server mid-drain");
    }

    [Fact]
    public void Chronoq_ConnectionString_PointsAtTheComposeDatabase()
    {
        var postgres = Compose.At("services", "postgres");
        var database = postgres.At("environment").Strings();
        var connection = new NpgsqlConnectionStringBuilder(Environment["ConnectionStrings__Chronoq"]);
        Assert.Equal("postgres", connection.Host);
        Assert.Equal(database["POSTGRES_USER"], connection.Username);
        Assert.Equal(database["POSTGRES_PASSWORD"], connection.Password);
        Assert.Equal(database["POSTGRES_DB"], connection.Database);
        Assert.Equal("service_healthy", Chronoq.At("depends_on", "postgres", "condition").Text());
        Assert.NotNull(postgres.Find("healthcheck", "test"));

        // The data outlives the container: a named volume declared at the top level.
        var volume = postgres.At("volumes").Items().Single().Text().Split(':')[0];
        Assert.NotNull(Compose.Find("volumes", volume));
    }

    [Fact]
    public void OtelCollector_IsOptional_AndReceivesOtlpWhereChronoqIsToldToSend()
    {
        // Export is off by default: the endpoint is empty unless the operator sets it.
        Assert.Equal("${" + OpenTelemetryEnvironment.Endpoint + ":-}", Environment[OpenTelemetryEnvironment.Endpoint]);
        var collector = Compose.At("services", "otel-collector");
        Assert.Equal("otel", collector.At("profiles").Items().Single().Text());
        Assert.DoesNotContain(":latest", collector.At("image").Text(), StringComparison.Ordinal);

        var mount = collector.At("volumes").Items().Single().Text().Split(':');
        var config = YamlFile.Load(mount[0].TrimStart('.', '/')).Single();
        Assert.Equal(mount[1], collector.At("command").Items().Single().Text().Split('=')[^1]);
        var grpc = config.At("receivers", "otlp", "protocols", "grpc", "endpoint").Text();
        Assert.StartsWith("0.0.0.0:", grpc, StringComparison.Ordinal);
        var published = collector.At("ports").Items().Select(static p => p.Text().Split(':')[^1]);
        Assert.Contains(grpc.Split(':')[1], published);
        foreach (var signal in new[] { "traces", "metrics" })
        {
            Assert.Contains("otlp", config.At("service", "pipelines", signal, "receivers").Items().Select(static n => n.Text()));
        }
    }

    [Fact]
    public async Task Chronoq_HealthCheck_RunsAgainstALiveServer_PassesWhenReadyAndFailsWhenNot()
    {
        var test = Chronoq.At("healthcheck", "test").Items().Select(static n => n.Text()).ToList();
        // CMD-SHELL runs /bin/sh, which is dash on the Ubuntu-based runtime image and has no /dev/tcp.
        Assert.Equal(["CMD", "bash", "-c"], test.Take(3));
        var script = test[3];
        var target = DevTcp().Match(script);
        Assert.True(target.Success, "the health check should open /dev/tcp/host/port");
        Assert.Equal(ServiceSettings.PortOf(Environment["Chronoq__HttpUrl"]), int.Parse(target.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains($"GET {OperationsApplicationExtensions.ReadyPath} ", script, StringComparison.Ordinal);

        await using var server = await LoopbackServer.StartAsync();
        var live = script.Replace(target.Value, $"/dev/tcp/127.0.0.1/{server.HttpAddress.Port}", StringComparison.Ordinal);
        Assert.Equal(0, await RunBashAsync(live));

        // The same check must fail when the server is not ready, or it proves nothing.
        server.Services.GetRequiredService<HealthStatusRegistry>().SetStatus(ChronoqReflection.Descriptor.Services[0].FullName, HealthCheckResponse.Types.ServingStatus.NotServing);
        Assert.NotEqual(0, await RunBashAsync(live));
        Assert.NotEqual(0, await RunBashAsync(live.Replace(OperationsApplicationExtensions.ReadyPath, "/no-such-endpoint", StringComparison.Ordinal)));
    }

    private static async Task<int> RunBashAsync(string script)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return process.ExitCode;
    }

    [GeneratedRegex(@"/dev/tcp/([^/\s]+)/(\d+)")]
    private static partial Regex DevTcp();
}
