using Chronoq.Protocol.Grpc;
using Chronoq.Service.Tests.Protos;
using Chronoq.Service.Transport;
using Chronoq.Testing;
using Chronoq.Testing.Server;
using Microsoft.Extensions.DependencyInjection;

namespace Chronoq.Service.Tests.Support;

/// <summary>Starts a loopback server with the test service, and checks it still serves.</summary>
internal static class TestServer
{
    public static Task<LoopbackServer> StartAsync(Action<LoopbackServerOptions>? configure = null) =>
        LoopbackServer.StartAsync(options =>
        {
            options.ConfigureBuilder = builder =>
            {
                builder.Services.AddSingleton<CallProbe>();
                builder.Services.AddGrpcService<TestService>();
            };
            configure?.Invoke(options);
        });

    public static CallProbe Probe(this LoopbackServer server) => server.Services.GetRequiredService<CallProbe>();

    /// <summary>A good call right after a bad one: the server must keep serving.</summary>
    public static async Task AssertServesAsync(RawGrpcClient client, CancellationToken cancellationToken)
    {
        var (response, outcome) = await client.UnaryAsync(TestService.EchoPath, new EchoRequest { Text = "still here" }, EchoResponse.Parser, cancellationToken);
        Assert.Equal(StatusCode.OK, outcome.Status);
        Assert.Equal("still here", response?.Text);
    }

    public static CancellationToken Timeout(int seconds = 20) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;
}
