using System.Buffers.Binary;
using System.Net;
using Chronoq.Interop.V1;
using Chronoq.Protocol.Grpc;
using Chronoq.Sdk.Transport;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Chronoq.Interop.Tests;

/// <summary>
/// How the C# client reads a unary response that a real server would never send: no message, two
/// messages, a cut-off or compressed frame, bytes that are not the message, a message in many
/// pieces. A bare Kestrel on loopback writes each shape byte for byte (the path names the shape).
/// </summary>
public sealed class UnaryResponseShapeTests : IAsyncLifetime
{
    private static readonly InteropResponse Reply = new() { Payload = ByteString.CopyFromUtf8("reply"), Index = 7 };

    // Completed when the server sees a stalled call end because the client reset its stream.
    private readonly TaskCompletionSource _stallAborted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private WebApplication? _server;
    private ChronoqChannel? _channel;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        _server = builder.Build();
        _server.Run(RespondAsync);
        await _server.StartAsync();
        var address = _server.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        _channel = ChronoqChannel.ForAddress(address, ChronoqChannelOptions.Default with { MaxReceiveMessageSize = 64 * 1024 });
    }

    public async Task DisposeAsync()
    {
        _channel?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    [Fact]
    public async Task OneMessageThenOk_ReturnsIt()
    {
        var response = await CallAsync("OneMessage");

        Assert.Equal(Reply, response);
    }

    [Fact]
    public async Task MessageArrivingInPieces_ReturnsIt()
    {
        // 40 KB in 1 KB writes, each flushed: the client's buffer has to grow and read many times.
        var response = await CallAsync("InPieces");

        Assert.Equal(40_000, response.Payload.Length);
        Assert.All(response.Payload, b => Assert.Equal((byte)'x', b));
    }

    [Fact]
    public async Task NoMessageThenOk_ThrowsInternal()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => CallAsync("NoMessage"));

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Contains("without sending a response message", error.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TwoMessages_ThrowsInternal()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => CallAsync("TwoMessages"));

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Contains("more than one response message", error.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MessageThenErrorInTrailers_ThrowsTheTrailersStatus()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => CallAsync("MessageThenError"));

        Assert.Equal(StatusCode.Aborted, error.StatusCode);
        Assert.Equal("gone wrong", error.Detail);
    }

    [Fact]
    public async Task ResponseEndingInsideAMessage_ThrowsInternal()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => CallAsync("Truncated"));

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Contains("ended inside a message", error.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CompressedFlag_ThrowsInternal()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => CallAsync("Compressed"));

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Contains("compressed", error.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BytesThatAreNotTheMessage_ThrowsInternal()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => CallAsync("Invalid"));

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Contains("not a valid InteropResponse", error.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MessageThenBadFrameAsLongAsTheFirstBuffer_ThrowsInternalForTheBadFrame()
    {
        // The second frame is as long as the client's first buffer (1 KiB) and starts behind the
        // first message, so it fits only once the consumed message is dropped from the front and
        // the frame moved to the start of the same array. Its own bytes must survive that move to
        // be judged: the first message read again would pass for a second message instead.
        var error = await Assert.ThrowsAsync<RpcException>(() => CallAsync("MessageThenBadFrame"));

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Contains("not a valid InteropResponse", error.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PrefixOverMaxReceiveSize_ThrowsResourceExhaustedBeforeTheBodyArrives()
    {
        // The server announces 1 GB and then sends nothing more: only the prefix can be judged.
        var error = await Assert.ThrowsAsync<RpcException>(() => CallAsync("HugePrefix"));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("1000000000 bytes", error.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeadlineWhileTheMessageIsArriving_ThrowsDeadlineExceededAndServerSeesTheReset()
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<RpcException>(() => CallAsync("Stalls", CallOptions.WithTimeout(TimeSpan.FromSeconds(1))));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"the deadline took {watch.Elapsed} to fire");
        await _stallAborted.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task CancelledWhileTheMessageIsArriving_ThrowsCancelledAndServerSeesTheReset()
    {
        using var cancellation = new CancellationTokenSource(TimeSpan.FromSeconds(1));

        // No deadline: the caller's token alone must end the read.
        var error = await Assert.ThrowsAsync<RpcException>(() => CallAsync("Stalls", new CallOptions { CancellationToken = cancellation.Token }));

        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        await _stallAborted.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private Task<InteropResponse> CallAsync(string shape) => CallAsync(shape, CallOptions.WithTimeout(TimeSpan.FromSeconds(20)));

    private Task<InteropResponse> CallAsync(string shape, CallOptions options) =>
        _channel!.UnaryAsync(
            new RpcMethod<InteropRequest, InteropResponse>(RpcMethodType.Unary, "shapes.Test", shape, InteropResponse.Parser),
            new InteropRequest(),
            options);

    private async Task RespondAsync(HttpContext context)
    {
        if (context.Request.Path.Value == "/shapes.Test/Stalls")
        {
            // Registered first: under load the client may give up before the response has started.
            context.RequestAborted.Register(() => _stallAborted.TrySetResult());
        }

        // Read the request to its end first, as a gRPC server does before answering a unary call.
        await context.Request.Body.CopyToAsync(Stream.Null);
        context.Response.ContentType = "application/grpc";
        var body = context.Response.Body;
        var status = "0";
        var message = string.Empty;
        switch (context.Request.Path.Value)
        {
            case "/shapes.Test/OneMessage":
                await body.WriteAsync(Frame(Reply.ToByteArray()));
                break;
            case "/shapes.Test/InPieces":
                var frame = Frame(new InteropResponse { Payload = ByteString.CopyFrom(new byte[40_000].Select(_ => (byte)'x').ToArray()) }.ToByteArray());
                for (var offset = 0; offset < frame.Length; offset += 1024)
                {
                    await body.WriteAsync(frame.AsMemory(offset, Math.Min(1024, frame.Length - offset)));
                    await body.FlushAsync();
                }

                break;
            case "/shapes.Test/NoMessage":
                await context.Response.StartAsync();
                break;
            case "/shapes.Test/TwoMessages":
                await body.WriteAsync(Frame(Reply.ToByteArray()));
                await body.WriteAsync(Frame(Reply.ToByteArray()));
                break;
            case "/shapes.Test/MessageThenError":
                await body.WriteAsync(Frame(Reply.ToByteArray()));
                status = ((int)StatusCode.Aborted).ToString(System.Globalization.CultureInfo.InvariantCulture);
                message = "gone wrong";
                break;
            case "/shapes.Test/Truncated":
                await body.WriteAsync(Frame(Reply.ToByteArray()).AsMemory(0, 8));
                break;
            case "/shapes.Test/Compressed":
                var compressed = Frame(Reply.ToByteArray());
                compressed[0] = 1;
                await body.WriteAsync(compressed);
                break;
            case "/shapes.Test/Invalid":
                await body.WriteAsync(Frame([0xff, 0xff, 0xff]));
                break;
            case "/shapes.Test/MessageThenBadFrame":
                await body.WriteAsync(Frame(Reply.ToByteArray()));

                // 1 KiB in all, the size of the client's first buffer; 0xff bytes are no protobuf message.
                await body.WriteAsync(Frame(Enumerable.Repeat((byte)0xff, 1024 - GrpcFraming.HeaderSize).ToArray()));
                break;
            case "/shapes.Test/Stalls":
                // The headers, a prefix and part of the message, then nothing until the client gives up.
                await body.WriteAsync(Frame(Reply.ToByteArray()).AsMemory(0, 8));
                await body.FlushAsync();
                await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return;
            case "/shapes.Test/HugePrefix":
                var prefix = new byte[GrpcFraming.HeaderSize];
                BinaryPrimitives.WriteUInt32BigEndian(prefix.AsSpan(1), 1_000_000_000);
                await body.WriteAsync(prefix);
                await body.FlushAsync();

                // Hold the stream open until the client gives up on it (it resets the stream).
                await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return;
        }

        context.Response.AppendTrailer(GrpcHeaderNames.Status, status);
        if (message.Length > 0)
        {
            context.Response.AppendTrailer(GrpcHeaderNames.Message, message);
        }
    }

    private static byte[] Frame(byte[] payload)
    {
        var frame = new byte[GrpcFraming.HeaderSize + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(frame, GrpcFraming.HeaderSize);
        return frame;
    }
}
