using Chronoq.Testing;

namespace Chronoq.Sdk.Tests.Support;

/// <summary>One real Chronoq server on loopback, shared by the integration tests (each uses its own topics).</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private LoopbackServer? _server;

    public LoopbackServer Server => _server ?? throw new InvalidOperationException("The server has not started.");

    public ChronoqClient CreateClient(Func<ChronoqClientOptions, ChronoqClientOptions>? configure = null)
    {
        var options = ChronoqClientOptions.Default with { Address = Server.GrpcAddress };
        return new ChronoqClient(configure?.Invoke(options) ?? options);
    }

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        _server = await LoopbackServer.StartAsync(cancellationToken: timeout.Token);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
