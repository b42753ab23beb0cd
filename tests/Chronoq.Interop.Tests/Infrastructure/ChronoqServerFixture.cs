using System.Globalization;
using Chronoq.Service.Transport;
using Chronoq.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Chronoq.Interop.Tests.Infrastructure;

/// <summary>
/// The real Chronoq server (Kestrel on loopback) with <see cref="InteropTestService"/> added, so
/// the C# client runs the same conformance tests against it as against grpcio and grpc-js.
/// </summary>
public sealed class ChronoqServerFixture : IInteropServer, IAsyncLifetime
{
    // Lowered from the server's 1000 so a test can exceed it. Not below 100: SocketsHttpHandler
    // assumes 100 streams until the server's SETTINGS arrive, and Kestrel answers DATA on a stream
    // it refused over its limit by closing the whole connection (STREAM_CLOSED).
    private const int StreamLimit = 100;

    private LoopbackServer? _server;

    public Uri Address => _server!.GrpcAddress;

    public int MaxConcurrentStreams => StreamLimit;

    public async Task InitializeAsync()
    {
        _server = await LoopbackServer.StartAsync(options =>
        {
            options.Configuration["Chronoq:MaxReceiveMessageSize"] = (16 * 1024 * 1024).ToString(CultureInfo.InvariantCulture);
            // Through the server's own setting: a ConfigureKestrel here would be overridden by it.
            options.Configuration["Chronoq:Limits:MaxStreamsPerConnection"] = StreamLimit.ToString(CultureInfo.InvariantCulture);
            options.ConfigureBuilder = builder => builder.Services.AddGrpcService<InteropTestService>();
        });
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
