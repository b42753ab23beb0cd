using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Chronoq.Protocol.Grpc;
using Chronoq.Service.Tests.Protos;
using Chronoq.Service.Tests.Support;
using Google.Protobuf;

namespace Chronoq.Service.Tests.Transport;

/// <summary>The transport against real Kestrel on loopback, driven by a raw HTTP/2 client.</summary>
public sealed class GrpcServerTransportTests
{
    [Fact]
    public async Task Unary_Echo_ReturnsMessageThenOkInTrailers()
    {
        var ct = TestServer.Timeout();
        await using var server = await TestServer.StartAsync();
        using var client = new RawGrpcClient(server.GrpcAddress);

        using var call = await client.SendMessageAsync(TestService.EchoPath, new EchoRequest { Text = "hi" }, ct, r => r.Headers.Add("x-custom", "abc"));
        Assert.Equal(HttpStatusCode.OK, call.HttpStatus);
        Assert.Equal("application/grpc", call.Response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("hi", (await call.ReadMessageAsync(EchoResponse.Parser, ct))?.Text);
        Assert.Null(await call.ReadMessageAsync(EchoResponse.Parser, ct));
        var outcome = await call.ReadStatusAsync(ct);
        Assert.Equal(new GrpcCallOutcome(StatusCode.OK, null, TrailersOnly: false), outcome);
        Assert.Equal("abc", server.Probe().LastCustomHeader);
        Assert.StartsWith("ipv4:127.0.0.1:", server.Probe().LastPeer, StringComparison.Ordinal);
        Assert.Equal(DateTimeOffset.MaxValue, server.Probe().LastDeadline);
    }

    [Fact]
    public async Task Unary_RpcExceptionBeforeMessage_TrailersOnlyWithPercentEncodedMessage()
    {
        var ct = TestServer.Timeout();
        await using var server = await TestServer.StartAsync();
        using var client = new RawGrpcClient(server.GrpcAddress);
        const string detail = "topic 'é' 100% missing\n";

        using var call = await client.SendMessageAsync(TestService.EchoPath, new EchoRequest { FailCode = (int)StatusCode.NotFound, FailMessage = detail }, ct);
        Assert.Equal("topic '%C3%A9' 100%25 missing%0A", call.Header("grpc-message"));
        var outcome = await call.ReadStatusAsync(ct);

        Assert.Equal(new GrpcCallOutcome(StatusCode.NotFound, detail, TrailersOnly: true), outcome);
        await TestServer.AssertServesAsync(client, ct);
    }

    [Fact]
    public async Task ServerStreaming_ErrorAfterMessages_StatusInTrailers()
    {
        var ct = TestServer.Timeout();
        await using var server = await TestServer.StartAsync();
        using var client = new RawGrpcClient(server.GrpcAddress);

        using var call = await client.SendMessageAsync(TestService.EchoStreamPath, new EchoRequest { Text = "m", Repeat = 3, FailCode = (int)StatusCode.Aborted, FailMessage = "stop", AddTrailer = true }, ct);
        var texts = new List<string>();
        while (await call.ReadMessageAsync(EchoResponse.Parser, ct) is { } message)
        {
            texts.Add(message.Text);
        }

        Assert.Equal(["m0", "m1", "m2"], texts);
        Assert.Equal(new GrpcCallOutcome(StatusCode.Aborted, "stop", TrailersOnly: false), await call.ReadStatusAsync(ct));
        Assert.Equal("m", call.Trailer("x-echo-trailer"));
    }

    [Fact]
    public async Task Duplex_EchoesEachMessageAsItArrives()
    {
        var ct = TestServer.Timeout();
        await using var server = await TestServer.StartAsync();
        using var client = new RawGrpcClient(server.GrpcAddress);
        var content = new DuplexContent();

        var sending = client.SendAsync(TestService.EchoDuplexPath, content, ct);
        await content.WriteAsync(new EchoRequest { Text = "one" });
        using var call = await sending;
        Assert.Equal("one", (await call.ReadMessageAsync(EchoResponse.Parser, ct))?.Text);
        await content.WriteAsync(new EchoRequest { Text = "two" });
        Assert.Equal("two", (await call.ReadMessageAsync(EchoResponse.Parser, ct))?.Text);
        content.Complete();

        Assert.Null(await call.ReadMessageAsync(EchoResponse.Parser, ct));
        Assert.Equal(StatusCode.OK, (await call.ReadStatusAsync(ct)).Status);
    }

    [Fact]
    public async Task Unary_PlainException_UnknownWithoutExceptionTextAndLogged()
    {
        var ct = TestServer.Timeout();
        await using var server = await TestServer.StartAsync(o => o.IsExpectedError = log => log.Exception is InvalidOperationException);
        using var client = new RawGrpcClient(server.GrpcAddress);

        var (_, outcome) = await client.UnaryAsync(TestService.EchoPath, new EchoRequest { ThrowPlain = true }, EchoResponse.Parser, ct);

        Assert.Equal(StatusCode.Unknown, outcome.Status);
        Assert.DoesNotContain("secret", outcome.Message, StringComparison.Ordinal);
        Assert.Contains(server.Logs, log => log.Exception?.Message == "secret internal detail");
        await TestServer.AssertServesAsync(client, ct);
    }

    [Theory]
    [InlineData("/grpc.health.v1.Health/NoSuchMethod")]
    [InlineData(TestService.NotMappedPath)]
    [InlineData("/no.such.Service/Method")]
    [InlineData("/garbage")]
    public async Task Call_UnmappedOrUnknownMethod_UnimplementedTrailersOnly(string path)
    {
        var ct = TestServer.Timeout();
        await using var server = await TestServer.StartAsync();
        using var client = new RawGrpcClient(server.GrpcAddress);

        using var call = await client.SendMessageAsync(path, new EchoRequest(), ct);
        Assert.Equal(HttpStatusCode.OK, call.HttpStatus);
        var outcome = await call.ReadStatusAsync(ct);

        Assert.Equal(StatusCode.Unimplemented, outcome.Status);
        Assert.True(outcome.TrailersOnly);
        await TestServer.AssertServesAsync(client, ct);
    }

    [Fact]
    public async Task Unary_DeadlinePasses_DeadlineExceededAndTokenFires()
    {
        var ct = TestServer.Timeout();
        await using var server = await TestServer.StartAsync();
        using var client = new RawGrpcClient(server.GrpcAddress);

        var (response, outcome) = await client.UnaryAsync(TestService.EchoPath, new EchoRequest { WaitForCancel = true }, EchoResponse.Parser, ct, r => r.Headers.Add("grpc-timeout", "200m"));

        Assert.Null(response);
        Assert.Equal(StatusCode.DeadlineExceeded, outcome.Status);
        Assert.True(await server.Probe().Cancelled.Task.WaitAsync(ct));
        Assert.NotEqual(DateTimeOffset.MaxValue, server.Probe().LastDeadline);
        await TestServer.AssertServesAsync(client, ct);
    }

    [Fact]
    public async Task Unary_ClientCancels_HandlerTokenFires()
    {
        var ct = TestServer.Timeout();
        await using var server = await TestServer.StartAsync();
        using var client = new RawGrpcClient(server.GrpcAddress);
        using var cancel = new CancellationTokenSource();

        var call = client.SendMessageAsync(TestService.EchoPath, new EchoRequest { WaitForCancel = true }, cancel.Token);
        // Let the request reach the handler, then reset the stream.
        while (server.Probe().LastPeer is null)
        {
            await Task.Delay(10, ct);
        }

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);

        Assert.True(await server.Probe().Cancelled.Task.WaitAsync(ct));
        await TestServer.AssertServesAsync(client, ct);
    }

    [Fact]
    public async Task Unary_MessageOverMaxReceiveSize_ResourceExhausted()
    {
        var ct = TestServer.Timeout();
        await using var server = await TestServer.StartAsync(o => o.Configuration["Chronoq:MaxReceiveMessageSize"] = "1024");
        using var client = new RawGrpcClient(server.GrpcAddress);

        var (_, outcome) = await client.UnaryAsync(TestService.EchoPath, new EchoRequest { Payload = ByteString.CopyFrom(new byte[2000]) }, EchoResponse.Parser, ct);

        Assert.Equal(StatusCode.ResourceExhausted, outcome.Status);
        await TestServer.AssertServesAsync(client, ct);
    }

    /// <summary>
    /// beanstalkd's too_big: the oversized body is skipped and the next command on the same
    /// connection is served. Here on one TCP connection, 40 refused messages of 2 MiB: each puts up
    /// to its stream's 1 MiB window on the wire before the refusal reaches the client, so together
    /// they may exceed the connection's 16 MiB window; refused bodies must be neither read into
    /// memory nor left holding that window, and the server must not drop the connection.
    /// </summary>
    [Fact]
    public async Task Unary_MessagesOverMaxReceiveSize_RefusedAndSkipped_SameConnectionServesTheNextCall()
    {
        var ct = TestServer.Timeout(60);
        await using var server = await TestServer.StartAsync(o => o.Configuration["Chronoq:MaxReceiveMessageSize"] = "65536");
        using var client = new RawGrpcClient(server.GrpcAddress);
        await TestServer.AssertServesAsync(client, ct);
        var oversized = RawGrpcClient.Frame(new EchoRequest { Payload = ByteString.CopyFrom(new byte[2 * 1024 * 1024]) });

        for (var i = 0; i < 40; i++)
        {
            using var call = await client.SendBytesAsync(TestService.EchoPath, oversized, ct);
            var outcome = await call.ReadStatusAsync(ct);
            Assert.Equal(StatusCode.ResourceExhausted, outcome.Status);
            Assert.Contains("larger than max", outcome.Message, StringComparison.Ordinal);
        }

        await TestServer.AssertServesAsync(client, ct);
        Assert.Equal(1, client.Connections);
    }

    [Fact]
    public async Task Unary_ResponseOverMaxSendSize_ResourceExhausted()
    {
        var ct = TestServer.Timeout();
        await using var server = await TestServer.StartAsync(o => o.Configuration["Chronoq:MaxSendMessageSize"] = "100");
        using var client = new RawGrpcClient(server.GrpcAddress);

        var (response, outcome) = await client.UnaryAsync(TestService.EchoPath, new EchoRequest { Payload = ByteString.CopyFrom(new byte[200]) }, EchoResponse.Parser, ct);

        Assert.Null(response);
        Assert.Equal(StatusCode.ResourceExhausted, outcome.Status);
        await TestServer.AssertServesAsync(client, ct);
    }

    [Fact]
    public async Task Unary_LengthPrefixOf2Pow31_ResourceExhaustedWithoutWaitingForBody()
    {
        var ct = TestServer.Timeout();
        await using var server = await TestServer.StartAsync();
        using var client = new RawGrpcClient(server.GrpcAddress);
        var content = new DuplexContent();

        // Only the prefix is sent and the body never ends: an answer proves the check is on the prefix.
        var sending = client.SendAsync(TestService.EchoPath, content, ct);
        await content.WriteRawAsync(Prefix(compressed: false, length: 1u << 31));
        using var call = await sending;
        var outcome = await call.ReadStatusAsync(ct);
        content.Complete();

        Assert.Equal(StatusCode.ResourceExhausted, outcome.Status);
        await TestServer.AssertServesAsync(client, ct);
    }

    [Theory]
    [InlineData(10, 3)]  // prefix promises more than the body holds
    [InlineData(0, -2)]  // the body ends inside the 5-byte prefix
    public async Task Unary_TruncatedFrame_Internal(uint declared, int actualBodyBytes)
    {
        var ct = TestServer.Timeout();
        await using var server = await TestServer.StartAsync();
        using var client = new RawGrpcClient(server.GrpcAddress);
        var frame = Prefix(false, declared);
        var body = actualBodyBytes >= 0 ? [.. frame, .. new byte[actualBodyBytes]] : frame[..(frame.Length + actualBodyBytes)];

        using var call = await client.SendBytesAsync(TestService.EchoPath, body, ct);
        var outcome = await call.ReadStatusAsync(ct);

        Assert.Equal(StatusCode.Internal, outcome.Status);
        await TestServer.AssertServesAsync(client, ct);
    }

    [Fact]
    public async Task Unary_EmptyBody_Internal()
    {
        var ct = TestServer.Timeout();
        await using var server = await TestServer.StartAsync();
        using var client = new RawGrpcClient(server.GrpcAddress);

        using var call = await client.SendBytesAsync(TestService.EchoPath, [], ct);

        Assert.Equal(StatusCode.Internal, (await call.ReadStatusAsync(ct)).Status);
        await TestServer.AssertServesAsync(client, ct);
    }

    [Fact]
    public async Task Unary_TwoMessages_Internal()
    {
        var ct = TestServer.Timeout();
        await using var server = await TestServer.StartAsync();
        using var client = new RawGrpcClient(server.GrpcAddress);
        var frame = RawGrpcClient.Frame(new EchoRequest { Text = "x" });

        using var call = await client.SendBytesAsync(TestService.EchoPath, [.. frame, .. frame], ct);

        Assert.Equal(StatusCode.Internal, (await call.ReadStatusAsync(ct)).Status);
        await TestServer.AssertServesAsync(client, ct);
    }

    [Fact]
    public async Task Unary_SecondMessageInLaterDataFrame_Internal()
    {
        var ct = TestServer.Timeout();
        await using var server = await TestServer.StartAsync();
        using var client = new RawGrpcClient(server.GrpcAddress);
        var content = new DuplexContent();

        // The request message, then (in its own DATA frame, before END_STREAM) a second one: the
        // server is by then waiting for the end of the stream and must refuse what came instead.
        var sending = client.SendAsync(TestService.EchoPath, content, ct);
        await content.WriteAsync(new EchoRequest { Text = "first" });
        await content.WriteAsync(new EchoRequest { Text = "second" });
        content.Complete();
        using var call = await sending;

        Assert.Equal(StatusCode.Internal, (await call.ReadStatusAsync(ct)).Status);
        await TestServer.AssertServesAsync(client, ct);
    }

    [Fact]
    public async Task Unary_EndOfStreamInLaterDataFrame_Ok()
    {
        var ct = TestServer.Timeout();
        await using var server = await TestServer.StartAsync();
        using var client = new RawGrpcClient(server.GrpcAddress);
        var content = new DuplexContent();

        // The message goes out first, END_STREAM only afterwards in an empty DATA frame.
        var sending = client.SendAsync(TestService.EchoPath, content, ct);
        await content.WriteAsync(new EchoRequest { Text = "x" });
        content.Complete();
        using var call = await sending;

        Assert.Equal(StatusCode.OK, (await call.ReadStatusAsync(ct)).Status);
        await TestServer.AssertServesAsync(client, ct);
    }

    [Fact]
    public async Task Unary_InvalidProtobuf_Internal()
    {
        var ct = TestServer.Timeout();
        await using var server = await TestServer.StartAsync();
        using var client = new RawGrpcClient(server.GrpcAddress);

        // Field 1 (string) claims 100 bytes but only 1 follows.
        using var call = await client.SendBytesAsync(TestService.EchoPath, [.. Prefix(false, 3), 0x0A, 100, 0x41], ct);

        Assert.Equal(StatusCode.Internal, (await call.ReadStatusAsync(ct)).Status);
        await TestServer.AssertServesAsync(client, ct);
    }

    [Fact]
    public async Task Unary_CompressedFlagWithoutEncoding_Internal()
    {
        var ct = TestServer.Timeout();
        await using var server = await TestServer.StartAsync();
        using var client = new RawGrpcClient(server.GrpcAddress);
        var message = RawGrpcClient.Frame(new EchoRequest { Text = "x" });
        message[0] = 1;

        using var call = await client.SendBytesAsync(TestService.EchoPath, message, ct);

        Assert.Equal(StatusCode.Internal, (await call.ReadStatusAsync(ct)).Status);
        await TestServer.AssertServesAsync(client, ct);
    }

    [Fact]
    public async Task Unary_UnknownGrpcEncoding_UnimplementedWithAcceptEncoding()
    {
        var ct = TestServer.Timeout();
        await using var server = await TestServer.StartAsync();
        using var client = new RawGrpcClient(server.GrpcAddress);

        using var call = await client.SendMessageAsync(TestService.EchoPath, new EchoRequest(), ct, r => r.Headers.Add("grpc-encoding", "snappy"));

        Assert.Equal("identity", call.Header("grpc-accept-encoding"));
        Assert.Equal(StatusCode.Unimplemented, (await call.ReadStatusAsync(ct)).Status);
        await TestServer.AssertServesAsync(client, ct);
    }

    [Fact]
    public async Task Unary_MalformedGrpcTimeout_Internal()
    {
        var ct = TestServer.Timeout();
        await using var server = await TestServer.StartAsync();
        using var client = new RawGrpcClient(server.GrpcAddress);

        using var call = await client.SendMessageAsync(TestService.EchoPath, new EchoRequest(), ct, r => r.Headers.Add("grpc-timeout", "123456789S"));

        Assert.Equal(StatusCode.Internal, (await call.ReadStatusAsync(ct)).Status);
        await TestServer.AssertServesAsync(client, ct);
    }

    [Fact]
    public async Task Post_WrongContentType_Http415()
    {
        var ct = TestServer.Timeout();
        await using var server = await TestServer.StartAsync();
        using var client = new RawGrpcClient(server.GrpcAddress);

        using var call = await client.SendBytesAsync(TestService.EchoPath, RawGrpcClient.Frame(new EchoRequest()), ct, contentType: "application/json");

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, call.HttpStatus);
        await TestServer.AssertServesAsync(client, ct);
    }

    [Fact]
    public async Task Get_OnGrpcEndpoint_Http405()
    {
        var ct = TestServer.Timeout();
        await using var server = await TestServer.StartAsync();
        using var client = new RawGrpcClient(server.GrpcAddress);

        using var call = await client.SendAsync(TestService.EchoPath, new ByteArrayContent([]), ct, method: HttpMethod.Get);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, call.HttpStatus);
        Assert.Contains("POST", call.Response.Content.Headers.Allow);
        await TestServer.AssertServesAsync(client, ct);
    }

    [Fact]
    public async Task Http11Request_OnGrpcEndpoint_Http400AndClosed()
    {
        var ct = TestServer.Timeout();
        await using var server = await TestServer.StartAsync();
        using var client = new RawGrpcClient(server.GrpcAddress);

        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(IPAddress.Loopback, server.GrpcAddress.Port, ct);
            var stream = tcp.GetStream();
            var request = Encoding.ASCII.GetBytes($"POST {TestService.EchoPath} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/grpc\r\nContent-Length: 0\r\n\r\n");
            await stream.WriteAsync(request, ct);
            var received = new MemoryStream();
            try
            {
                await stream.CopyToAsync(received, ct);
            }
            catch (IOException)
            {
                // A reset is as good as a close here.
            }

            // Kestrel's HTTP/2-only endpoint recognises an HTTP/1.x request line, answers 400 with
            // an explanation and closes the connection: no hang, no gRPC processing.
            var text = Encoding.ASCII.GetString(received.ToArray());
            Assert.StartsWith("HTTP/1.1 400", text, StringComparison.Ordinal);
            Assert.Contains("HTTP/2 only endpoint", text, StringComparison.Ordinal);
        }

        await TestServer.AssertServesAsync(client, ct);
    }

    [Fact]
    public async Task Http11GrpcRequest_OnHttpEndpoint_Http426()
    {
        var ct = TestServer.Timeout();
        await using var server = await TestServer.StartAsync();
        using var http11 = new RawGrpcClient(server.HttpAddress, HttpVersion.Version11);
        using var client = new RawGrpcClient(server.GrpcAddress);

        using var call = await http11.SendMessageAsync(TestService.EchoPath, new EchoRequest(), ct);

        Assert.Equal(HttpStatusCode.UpgradeRequired, call.HttpStatus);
        await TestServer.AssertServesAsync(client, ct);
    }

    private static byte[] Prefix(bool compressed, uint length)
    {
        var prefix = new byte[5];
        prefix[0] = compressed ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(prefix.AsSpan(1), length);
        return prefix;
    }
}
