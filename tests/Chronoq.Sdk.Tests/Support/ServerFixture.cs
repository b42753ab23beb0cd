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

    public Task InitializeAsync() => StartAsync(port: 0);

    /// <summary>Starts the server on <paramref name="port"/> (0 = any free one); a fixture can be stopped and started again on the same port.</summary>
    public async Task StartAsync(int port)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        _server = await LoopbackServer.StartAsync(options => options.Configuration["Chronoq:GrpcUrl"] = $"http://127.0.0.1:{port}", timeout.Token);
    }

    public async Task DisposeAsync()
    {
        var server = _server;
        _server = null;
        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }
}
