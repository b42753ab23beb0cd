using Chronoq.Service;
using Chronoq.Service.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Chronoq.Operations.Tests.Telemetry;

public sealed class OperationsOptionsTests
{
    [Fact]
    public async Task ShutdownTimeout_Configured_BecomesTheHostsShutdownTimeout()
    {
        var builder = ChronoqHost.CreateBuilder([]);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Chronoq:ShutdownTimeout"] = "00:00:07" });
        await using var app = ChronoqHost.Build(builder);

        Assert.Equal(TimeSpan.FromSeconds(7), app.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout);
    }

    [Fact]
    public async Task ShutdownTimeout_Unset_IsTwentyFiveSeconds()
    {
        await using var app = ChronoqHost.Build(ChronoqHost.CreateBuilder([]));

        Assert.Equal(new ChronoqOperationsOptions().ShutdownTimeout, app.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout);
        Assert.Equal(TimeSpan.FromSeconds(25), new ChronoqOperationsOptions().ShutdownTimeout);
    }

    [Fact]
    public async Task ShutdownTimeout_Zero_FailsStartUpNamingTheSetting()
    {
        var builder = ChronoqHost.CreateBuilder([]);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Chronoq:ShutdownTimeout"] = "00:00:00",
            ["Chronoq:GrpcUrl"] = "http://127.0.0.1:0",
            ["Chronoq:HttpUrl"] = "http://127.0.0.1:0",
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        // The host reads its options while it is built, so the failure may come from Build or from StartAsync.
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            await using var app = ChronoqHost.Build(builder);
            await app.StartAsync(timeout.Token);
        });

        Assert.Contains("Chronoq:ShutdownTimeout", failure.Message, StringComparison.Ordinal);
    }
}
