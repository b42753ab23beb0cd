using System.Net;
using System.Net.Sockets;
using Chronoq.Sdk.Tests.Support;
using Chronoq.Testing;

namespace Chronoq.Sdk.Tests.Integration;

/// <summary>The server goes away and comes back on the same port: retried calls and the worker carry on by themselves.</summary>
public sealed class ReconnectTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task PutAsync_KeyedPutWhileTheServerStarts_RetriedUntilItAnswers()
    {
        var port = FreePort();
        await using var client = new ChronoqClient(ChronoqClientOptions.Default with
        {
            Address = new Uri($"http://127.0.0.1:{port}"),
            MaxCallAttempts = 50,
            RetryInitialBackoff = TimeSpan.FromMilliseconds(50),
            RetryMaxBackoff = TimeSpan.FromMilliseconds(200),
        });

        var put = client.PutAsync("reconnect", "x"u8.ToArray(), new PutOptions { Key = "once" });
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        Assert.False(put.IsCompleted, "nothing listens yet, so the put must still be retrying");
        await using var server = await StartOnAsync(port);
        var result = await put.WaitAsync(Patience);

        Assert.True(result.Created);
        Assert.NotNull(await client.PeekAsync(result.Id));
    }

    [Fact]
    public async Task Worker_ServerRestarts_ReconnectsAndHandlesJobsPutAfterwards()
    {
        var port = FreePort();
        var fixture = new ServerFixture();
        await fixture.StartAsync(port);
        var topic = TestTopics.Unique("reconnect");
        await using var worker = await WorkerHarness.StartAsync(fixture, topic, ChronoqWorkerOptions.Default with
        {
            ReconnectInitialBackoff = TimeSpan.FromMilliseconds(50),
            ReconnectMaxBackoff = TimeSpan.FromMilliseconds(200),
        });
        var orders = worker.Client.Topic(topic, SdkTestJsonContext.Default.OrderPlaced);
        var first = await orders.PutAsync(new OrderPlaced("before", 1m, []));
        await Eventually.MatchAsync(() => worker.Client.PeekAsync(first.Id), static job => job is null, Patience, "the first job handled");

        await fixture.DisposeAsync();
        await fixture.StartAsync(port);
        var second = await orders.PutAsync(new OrderPlaced("after", 2m, []));
        await Eventually.MatchAsync(() => worker.Client.PeekAsync(second.Id), static job => job is null, Patience, "the job put after the restart handled");

        Assert.Equal([first.Id, second.Id], worker.Probe.Seen.Select(static s => s.JobId));
        await worker.StopAsync(Patience);
        await fixture.DisposeAsync();
    }

    private static Task<LoopbackServer> StartOnAsync(int port) =>
        LoopbackServer.StartAsync(options => options.Configuration["Chronoq:GrpcUrl"] = $"http://127.0.0.1:{port}");

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
