using System.Diagnostics;
using Chronoq.Interop.Tests.Infrastructure;
using Chronoq.Interop.V1;
using Chronoq.Protocol.Grpc;
using Chronoq.Sdk.Transport;
using Google.Protobuf;
using Grpc.Health.V1;

namespace Chronoq.Interop.Tests;

/// <summary>
/// The C# client (<see cref="ChronoqChannel"/>) against a real gRPC server. Each subclass names
/// the server: grpcio, grpc-js, or Chronoq's own; the same tests must pass against all three.
/// </summary>
/// <typeparam name="TServer">The server fixture.</typeparam>
public abstract class ChannelConformanceTests<TServer> : IClassFixture<TServer>, IDisposable
    where TServer : class, IInteropServer
{
    private static readonly RpcMethod<InteropRequest, InteropResponse> Unary =
        new(RpcMethodType.Unary, "chronoq.interop.v1.InteropTest", "Unary", InteropResponse.Parser);

    private static readonly RpcMethod<InteropRequest, InteropResponse> ServerStream =
        RpcMethod<InteropRequest, InteropResponse>.FromDescriptor(InteropReflection.Descriptor.Services[0].FindMethodByName("ServerStream"));

    private static readonly RpcMethod<StatsRequest, StatsResponse> GetStats =
        new(RpcMethodType.Unary, "chronoq.interop.v1.InteropTest", "GetStats", StatsResponse.Parser);

    private static readonly RpcMethod<HealthCheckRequest, HealthCheckResponse> HealthCheck =
        RpcMethod<HealthCheckRequest, HealthCheckResponse>.FromDescriptor(HealthReflection.Descriptor.Services[0].FindMethodByName("Check"));

    private static readonly RpcMethod<InteropRequest, InteropResponse> NoSuchMethod =
        new(RpcMethodType.Unary, "chronoq.interop.v1.InteropTest", "NoSuchMethod", InteropResponse.Parser);

    // Every call of these tests is bounded by this deadline unless the test sets its own.
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    private readonly TServer _server;
    private readonly ChronoqChannel _channel;

    protected ChannelConformanceTests(TServer server)
    {
        _server = server;
        _channel = OpenChannel();
    }

    public void Dispose() => _channel.Dispose();

    [Fact]
    public async Task UnaryAsync_Payload_EchoesIt()
    {
        var payload = ByteString.CopyFromUtf8("hello, interop");

        var response = await _channel.UnaryAsync(Unary, new InteropRequest { Payload = payload }, Bounded());

        Assert.Equal(payload, response.Payload);
    }

    [Fact]
    public async Task UnaryAsync_GeneratedHealthMessages_Serving()
    {
        var response = await _channel.UnaryAsync(HealthCheck, new HealthCheckRequest(), Bounded());

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }

    [Fact]
    public async Task UnaryAsync_HealthOfUnknownService_ThrowsNotFound()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            _channel.UnaryAsync(HealthCheck, new HealthCheckRequest { Service = "no.such.Service" }, Bounded()));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task UnaryAsync_ErrorStatusTrailersOnly_ThrowsCodeAndDecodedMessage()
    {
        const string message = "bad state: ünïcødé, 100% ✓ \"quoted\"";

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            _channel.UnaryAsync(Unary, new InteropRequest { StatusCode = (int)StatusCode.FailedPrecondition, StatusMessage = message }, Bounded()));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Equal(message, error.Detail);
    }

    [Fact]
    public async Task UnaryAsync_UnknownMethod_ThrowsUnimplemented()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => _channel.UnaryAsync(NoSuchMethod, new InteropRequest(), Bounded()));

        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
    }

    [Fact]
    public async Task ServerStreaming_CountThenOk_ReadsAllInOrderAndEndsOk()
    {
        using var call = _channel.ServerStreaming(ServerStream, new InteropRequest { Count = 5, Payload = ByteString.CopyFromUtf8("x") }, Bounded());

        var indexes = new List<uint>();
        await foreach (var response in call.ReadAllAsync())
        {
            indexes.Add(response.Index);
        }

        Assert.Equal([0u, 1u, 2u, 3u, 4u], indexes);
        Assert.Equal(StatusCode.OK, call.Status?.Code);
    }

    [Fact]
    public async Task ServerStreaming_MessagesThenErrorInTrailers_ThrowsAfterTheMessages()
    {
        using var call = _channel.ServerStreaming(
            ServerStream,
            new InteropRequest { Count = 3, StatusCode = (int)StatusCode.Aborted, StatusMessage = "stopped after three" },
            Bounded());

        var received = 0;
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.MoveNextAsync())
            {
                received++;
            }
        });

        Assert.Equal(3, received);
        Assert.Equal(StatusCode.Aborted, error.StatusCode);
        Assert.Equal("stopped after three", error.Detail);
        Assert.Equal(StatusCode.Aborted, call.Status?.Code);
    }

    [Fact]
    public async Task ServerStreaming_EchoMetadata_ArrivesAsHeadersAndTrailers()
    {
        var headers = new Metadata().Add("echo-colour", "blue");
        using var call = _channel.ServerStreaming(ServerStream, new InteropRequest { Count = 1 }, Bounded() with { Headers = headers });

        var responseHeaders = await call.ResponseHeadersAsync;
        while (await call.MoveNextAsync())
        {
        }

        Assert.Equal("blue", responseHeaders.GetValue("echo-colour"));
        Assert.Equal("blue", call.GetTrailers().GetValue("echo-trailer-colour"));
    }

    [Fact]
    public async Task UnaryAsync_CallHeadersAndMetadataProvider_ServerSeesBoth()
    {
        using var channel = OpenChannel(ChannelOptions() with
        {
            RequestMetadata = (method, headers, _) =>
            {
                headers.Add("authorization", "Bearer token-for-" + method);
                return ValueTask.CompletedTask;
            },
        });

        var response = await channel.UnaryAsync(Unary, new InteropRequest(), Bounded() with { Headers = new Metadata().Add("x-request-tag", "abc") });

        Assert.Equal("abc", response.Metadata["x-request-tag"]);
        Assert.Equal("Bearer token-for-/chronoq.interop.v1.InteropTest/Unary", response.Metadata["authorization"]);
    }

    [Fact]
    public async Task UnaryAsync_Deadline_ServerSeesTheTimeLeft()
    {
        var response = await _channel.UnaryAsync(Unary, new InteropRequest(), CallOptions.WithTimeout(TimeSpan.FromSeconds(20)));

        Assert.InRange(response.DeadlineRemainingMs, 1, 20_000);
    }

    [Fact]
    public async Task UnaryAsync_NoDeadline_ServerSeesNone()
    {
        using var timeout = new CancellationTokenSource(CallTimeout);

        var response = await _channel.UnaryAsync(Unary, new InteropRequest(), new CallOptions { CancellationToken = timeout.Token });

        Assert.Equal(-1, response.DeadlineRemainingMs);
    }

    [Fact]
    public async Task UnaryAsync_ServerSlowerThanDeadline_ThrowsDeadlineExceededPromptly()
    {
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            _channel.UnaryAsync(Unary, new InteropRequest { IntervalMs = 20_000 }, CallOptions.WithTimeout(TimeSpan.FromMilliseconds(300))));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task ServerStreaming_DeadlineMidStream_ThrowsDeadlineExceededAfterSomeMessages()
    {
        using var call = _channel.ServerStreaming(
            ServerStream, new InteropRequest { Count = 1000, IntervalMs = 50 }, CallOptions.WithTimeout(TimeSpan.FromSeconds(2)));

        var received = 0;
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.MoveNextAsync())
            {
                received++;
            }
        });

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.InRange(received, 1, 60); // at most ~40 fit in 2 s: the deadline, not the count, ended it
    }

    [Fact]
    public async Task ServerStreaming_CancelledByToken_ThrowsCancelledAndServerSeesTheReset()
    {
        var before = await CancelledCallsAsync();
        using var cancellation = new CancellationTokenSource();
        using var call = _channel.ServerStreaming(
            ServerStream, new InteropRequest { Count = 1000, IntervalMs = 100 }, Bounded() with { CancellationToken = cancellation.Token });
        Assert.True(await call.MoveNextAsync());

        await cancellation.CancelAsync();
        var error = await Assert.ThrowsAsync<RpcException>(async () => await call.MoveNextAsync());

        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        await AssertServerSawCancellationAsync(before);
    }

    [Fact]
    public async Task ServerStreaming_CancelledWithMessagesAlreadyBuffered_ThrowsCancelledOnTheNextRead()
    {
        using var cancellation = new CancellationTokenSource();
        using var call = _channel.ServerStreaming(
            ServerStream, new InteropRequest { Count = 1000 }, Bounded() with { CancellationToken = cancellation.Token });
        Assert.True(await call.MoveNextAsync());

        // The server sends without pause: by now the client holds messages it has not handed out.
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        await cancellation.CancelAsync();
        var error = await Assert.ThrowsAsync<RpcException>(async () => await call.MoveNextAsync());

        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
    }

    [Fact]
    public async Task ServerStreaming_DisposedUnfinished_ServerSeesTheReset()
    {
        var before = await CancelledCallsAsync();
        var call = _channel.ServerStreaming(ServerStream, new InteropRequest { Count = 1000, IntervalMs = 100 }, Bounded());
        Assert.True(await call.MoveNextAsync());

        call.Dispose();

        Assert.Equal(StatusCode.Cancelled, call.Status?.Code);
        await AssertServerSawCancellationAsync(before);
    }

    [Fact]
    public async Task UnaryAsync_CancelledWhileServerWorks_ThrowsCancelledAndServerSeesTheReset()
    {
        var before = await CancelledCallsAsync();
        // The server counts a call it has started; cancelled sooner, the call may never reach its
        // handler (grpcio under load took longer than 300 ms to start one), so nothing is counted.
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(1500));

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            _channel.UnaryAsync(Unary, new InteropRequest { IntervalMs = 20_000 }, Bounded() with { CancellationToken = cancellation.Token }));

        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        await AssertServerSawCancellationAsync(before);
    }

    [Fact]
    public async Task UnaryAsync_FourMebibyteMessagesBothWays_RoundTrip()
    {
        var payload = new byte[4 * 1024 * 1024];
        new Random(7).NextBytes(payload);

        var response = await _channel.UnaryAsync(Unary, new InteropRequest { Payload = ByteString.CopyFrom(payload) }, Bounded());

        Assert.True(payload.AsSpan().SequenceEqual(response.Payload.Span));
    }

    [Fact]
    public async Task UnaryAsync_ResponseOverMaxReceiveSize_ThrowsResourceExhaustedAndChannelStillWorks()
    {
        using var channel = OpenChannel(ChannelOptions() with { MaxReceiveMessageSize = 64 * 1024 });

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync(Unary, new InteropRequest { ResponseSize = 1024 * 1024 }, Bounded()));
        var after = await channel.UnaryAsync(Unary, new InteropRequest { ResponseSize = 1024 }, Bounded());

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal(1024, after.Payload.Length);
    }

    [Fact]
    public async Task UnaryAsync_RequestOverMaxSendSize_ThrowsResourceExhausted()
    {
        using var channel = OpenChannel(ChannelOptions() with { MaxSendMessageSize = 1024 });

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync(Unary, new InteropRequest { Payload = ByteString.CopyFrom(new byte[2048]) }, Bounded()));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task UnaryAsync_FiveHundredConcurrentCalls_AllSucceed()
    {
        var calls = Enumerable.Range(0, 500)
            .Select(i => _channel.UnaryAsync(Unary, new InteropRequest { Payload = ByteString.CopyFromUtf8(i.ToString(System.Globalization.CultureInfo.InvariantCulture)) }, Bounded()))
            .ToList();

        var responses = await Task.WhenAll(calls);

        Assert.Equal(Enumerable.Range(0, 500).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), responses.Select(r => r.Payload.ToStringUtf8()));
    }

    [Fact]
    public async Task UnaryAsync_MoreOpenCallsThanOneConnectionTakes_OpensMoreConnections()
    {
        // Twice the server's per-connection stream limit, each held open for a second: one
        // connection would queue them in rounds; several connections serve them all at once.
        // A fresh channel, so every connection it opens has the server's SETTINGS from the start.
        var count = (_server.MaxConcurrentStreams * 2) + 8;
        using var channel = OpenChannel();
        await channel.UnaryAsync(Unary, new InteropRequest(), Bounded());
        var clock = Stopwatch.StartNew();

        var responses = await Task.WhenAll(Enumerable.Range(0, count)
            .Select(_ => channel.UnaryAsync(Unary, new InteropRequest { IntervalMs = 1000 }, Bounded())));

        // Distinct client ports as the server saw them are distinct connections.
        var connections = responses.Select(r => r.Peer).Distinct().ToList();
        Assert.True(connections.Count >= 2, $"{count} calls took {clock.Elapsed} over {connections.Count} connection(s): {string.Join(", ", connections)}");
    }

    private static CallOptions Bounded() => CallOptions.WithTimeout(CallTimeout);

    // Keep-alive pings off: grpc-core servers (grpcio) refuse pings more often than every 5 minutes.
    private static ChronoqChannelOptions ChannelOptions() => ChronoqChannelOptions.Default with
    {
        MaxReceiveMessageSize = 16 * 1024 * 1024,
        KeepAlivePingDelay = Timeout.InfiniteTimeSpan,
    };

    private ChronoqChannel OpenChannel(ChronoqChannelOptions? options = null) =>
        ChronoqChannel.ForAddress(_server.Address, options ?? ChannelOptions());

    private async Task<uint> CancelledCallsAsync() =>
        (await _channel.UnaryAsync(GetStats, new StatsRequest(), Bounded())).CancelledCalls;

    private async Task AssertServerSawCancellationAsync(uint before)
    {
        // The server notices the reset asynchronously; poll briefly rather than sleep a fixed time.
        var waited = Stopwatch.StartNew();
        while (await CancelledCallsAsync() <= before)
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(20), "The server never saw the call cancelled.");
            await Task.Delay(20);
        }
    }
}
