using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Chronoq.Protocol.Grpc;
using Chronoq.Sdk.Tests.Support;

namespace Chronoq.Sdk.Tests.Integration;

/// <summary>A server that is down or silent must surface as a clear error within the deadline, never a hang.</summary>
public sealed class FailureTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task PutAsync_ServerDown_ThrowsUnavailableWithoutRetryingAnUnkeyedPut()
    {
        await using var client = new ChronoqClient(ChronoqClientOptions.Default with { Address = ClosedPortAddress() });
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<RpcException>(() => client.PutAsync("orders", "x"u8.ToArray()).WaitAsync(Limit));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains("Connection", error.Detail, StringComparison.OrdinalIgnoreCase);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task PutAsync_KeyedPutServerDown_RetriesWithBackoffThenThrowsUnavailable()
    {
        await using var client = new ChronoqClient(ChronoqClientOptions.Default with
        {
            Address = ClosedPortAddress(),
            MaxCallAttempts = 3,
            RetryInitialBackoff = TimeSpan.FromMilliseconds(20),
            RetryMaxBackoff = TimeSpan.FromMilliseconds(40),
        });

        var error = await Assert.ThrowsAsync<RpcException>(() => client.PutAsync("orders", "x"u8.ToArray(), new PutOptions { Key = "k" }).WaitAsync(Limit));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
    }

    [Fact]
    public async Task ReserveAsync_ServerDown_ThrowsUnavailable()
    {
        await using var client = new ChronoqClient(ChronoqClientOptions.Default with { Address = ClosedPortAddress() });

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var _ in client.ReserveAsync("orders").WithCancellation(CancellationToken.None))
            {
            }
        }).WaitAsync(Limit);

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
    }

    [Fact]
    public async Task GetServerStatsAsync_SilentServer_FailsWithDeadlineExceededAtTheDefaultDeadline()
    {
        // Accepts TCP connections and never answers: the call must end at its deadline.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var accepted = new List<Socket>();
        _ = Task.Run(async () =>
        {
            while (true)
            {
                try
                {
                    accepted.Add(await silent.AcceptSocketAsync());
                }
                catch (Exception)
                {
                    return;
                }
            }
        });
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        await using var client = new ChronoqClient(ChronoqClientOptions.Default with
        {
            Address = new Uri($"http://127.0.0.1:{port}"),
            DefaultDeadline = TimeSpan.FromMilliseconds(300),
        });
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<RpcException>(() => client.GetServerStatsAsync().WaitAsync(Limit));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));
        silent.Stop();
        accepted.ForEach(static socket => socket.Dispose());
    }

    private static Uri ClosedPortAddress()
    {
        // Bind then release a port: nothing listens there afterwards, so connecting is refused at once.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}");
    }
}
