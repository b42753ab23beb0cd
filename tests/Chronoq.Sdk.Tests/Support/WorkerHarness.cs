using Chronoq.Testing.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Chronoq.Sdk.Tests.Support;

/// <summary>A worker registered the way an app registers it (AddChronoqClient + AddChronoqWorker), started and stopped without a host.</summary>
internal sealed class WorkerHarness : IAsyncDisposable
{
    private readonly ServiceProvider _provider;
    private bool _stopped;

    private WorkerHarness(ServiceProvider provider, CapturingLoggerProvider logs)
    {
        _provider = provider;
        Logs = logs;
        Worker = provider.GetServices<IHostedService>().Single();
        Probe = provider.GetRequiredService<JobProbe>();
        Client = provider.GetRequiredService<ChronoqClient>();
    }

    public IHostedService Worker { get; }

    public JobProbe Probe { get; }

    public ChronoqClient Client { get; }

    public CapturingLoggerProvider Logs { get; }

    /// <summary>
    /// Starts a worker whose handler runs <paramref name="behaviour"/> (default: succeed at once),
    /// set before the first job can arrive; <paramref name="configureClient"/> adjusts the worker's client.
    /// </summary>
    public static async Task<WorkerHarness> StartAsync(
        ServerFixture fixture,
        string topic,
        ChronoqWorkerOptions options,
        Func<ReservedJob<OrderPlaced>, int, CancellationToken, Task>? behaviour = null,
        Func<ChronoqClientOptions, ChronoqClientOptions>? configureClient = null)
    {
        var logs = new CapturingLoggerProvider(LogLevel.Information);
        var services = new ServiceCollection();
        services.AddLogging(builder => builder.AddProvider(logs));
        services.AddSingleton<JobProbe>();
        services.AddChronoqClient(o =>
        {
            var options = o with { Address = fixture.Server.GrpcAddress };
            return configureClient?.Invoke(options) ?? options;
        });
        services.AddChronoqWorker<ProbeHandler, OrderPlaced>(topic, SdkTestJsonContext.Default.OrderPlaced, options);
        var harness = new WorkerHarness(services.BuildServiceProvider(), logs);
        if (behaviour is not null)
        {
            harness.Probe.Behaviour = behaviour;
        }

        await harness.Worker.StartAsync(CancellationToken.None);
        return harness;
    }

    public async Task StopAsync(TimeSpan limit)
    {
        _stopped = true;
        using var timeout = new CancellationTokenSource(limit);
        await Worker.StopAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopped)
        {
            await StopAsync(TimeSpan.FromSeconds(10));
        }

        await _provider.DisposeAsync();
    }
}
