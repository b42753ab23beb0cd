using System.Net;
using System.Net.Sockets;
using Chronoq.Interop.V1;
using Chronoq.Protocol.Grpc;
using Chronoq.Sdk.Transport;

namespace Chronoq.Interop.Tests;

/// <summary>The C# client's behaviour that needs no server, or only a port nothing listens on.</summary>
public sealed class ChronoqChannelTests
{
    private static readonly RpcMethod<InteropRequest, InteropResponse> Unary =
        new(RpcMethodType.Unary, "chronoq.interop.v1.InteropTest", "Unary", InteropResponse.Parser);

    [Fact]
    public async Task UnaryAsync_NothingListening_ThrowsUnavailable()
    {
        using var channel = ChronoqChannel.ForAddress(new Uri($"http://127.0.0.1:{UnusedPort()}/"));

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync(Unary, new InteropRequest(), CallOptions.WithTimeout(TimeSpan.FromSeconds(10))));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
    }

    [Fact]
    public async Task UnaryAsync_DeadlineAlreadyPassed_ThrowsDeadlineExceeded()
    {
        using var channel = ChronoqChannel.ForAddress(new Uri($"http://127.0.0.1:{UnusedPort()}/"));

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync(Unary, new InteropRequest(), new CallOptions { Deadline = DateTimeOffset.UtcNow.AddSeconds(-1) }));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    [Fact]
    public async Task UnaryAsync_TokenAlreadyCancelled_ThrowsCancelled()
    {
        using var channel = ChronoqChannel.ForAddress(new Uri($"http://127.0.0.1:{UnusedPort()}/"));

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync(Unary, new InteropRequest(), new CallOptions { CancellationToken = new CancellationToken(canceled: true) }));

        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
    }

    [Fact]
    public async Task UnaryAsync_MetadataProviderFails_ThrowsUnauthenticated()
    {
        using var channel = ChronoqChannel.ForAddress(
            new Uri($"http://127.0.0.1:{UnusedPort()}/"),
            ChronoqChannelOptions.Default with { RequestMetadata = (_, _, _) => throw new InvalidOperationException("no token") });

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync(Unary, new InteropRequest(), CallOptions.WithTimeout(TimeSpan.FromSeconds(10))));

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    [Theory]
    [InlineData("ftp://127.0.0.1:1/")]
    [InlineData("http://127.0.0.1:1/some/path")]
    public void ForAddress_NotAServerAddress_Throws(string address)
    {
        Assert.Throws<ArgumentException>(() => ChronoqChannel.ForAddress(address));
    }

    [Fact]
    public void ForAddress_NonPositiveMaxReceiveSize_ThrowsNamingTheSetting()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            ChronoqChannel.ForAddress("http://127.0.0.1:1", ChronoqChannelOptions.Default with { MaxReceiveMessageSize = 0 }));

        Assert.Contains("MaxReceiveMessageSize", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnaryAsync_StreamingMethod_ThrowsArgumentException()
    {
        using var channel = ChronoqChannel.ForAddress("http://127.0.0.1:1");
        var streaming = new RpcMethod<InteropRequest, InteropResponse>(RpcMethodType.ServerStreaming, "chronoq.interop.v1.InteropTest", "ServerStream", InteropResponse.Parser);

        await Assert.ThrowsAsync<ArgumentException>(() => channel.UnaryAsync(streaming, new InteropRequest()));
    }

    [Fact]
    public void MetadataAdd_ReservedOrMalformedKeys_Throw()
    {
        var metadata = new Metadata();

        Assert.Throws<ArgumentException>(() => metadata.Add("grpc-timeout", "1S"));
        Assert.Throws<ArgumentException>(() => metadata.Add("bad key", "x"));
        Assert.Throws<ArgumentException>(() => metadata.Add("text-bin", "x"));
        Assert.Throws<ArgumentException>(() => metadata.Add("binary", new byte[] { 1 }));
        Assert.Equal([1, 2, 255], metadata.Add("Trace-Bin", new byte[] { 1, 2, 255 }).GetBytes("trace-bin"));
    }

    // A port that was free a moment ago: bound, read, released.
    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
