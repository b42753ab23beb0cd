using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Chronoq.Protocol.Grpc;
using Google.Protobuf;

namespace Chronoq.Service.Tests.Support;

/// <summary>A bare HTTP/2 client speaking gRPC by hand, so these tests do not depend on the SDK.</summary>
internal sealed class RawGrpcClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly Version _version;
    private int _connections;

    public RawGrpcClient(Uri address, Version? version = null)
    {
        _version = version ?? HttpVersion.Version20;
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            ConnectCallback = async (context, cancellationToken) =>
            {
                Interlocked.Increment(ref _connections);
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        _http = new HttpClient(handler)
        {
            BaseAddress = address,
            DefaultRequestVersion = _version,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>TCP connections opened so far: a server that drops a connection shows as a second one.</summary>
    public int Connections => Volatile.Read(ref _connections);

    public static byte[] Frame(IMessage message)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        GrpcFraming.TryWriteMessage(buffer, message);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Sends a body of raw bytes; headers are set by <paramref name="configure"/>.</summary>
    public async Task<RawGrpcCall> SendAsync(string path, HttpContent content, CancellationToken cancellationToken, Action<HttpRequestMessage>? configure = null, HttpMethod? method = null)
    {
        // A hand-made request does not take the client's default version: set it explicitly.
        var request = new HttpRequestMessage(method ?? HttpMethod.Post, path)
        {
            Content = content,
            Version = _version,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        configure?.Invoke(request);
        var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        return new RawGrpcCall(response);
    }

    public Task<RawGrpcCall> SendBytesAsync(string path, byte[] body, CancellationToken cancellationToken, Action<HttpRequestMessage>? configure = null, string contentType = GrpcHeaderNames.ContentType)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return SendAsync(path, content, cancellationToken, configure);
    }

    public Task<RawGrpcCall> SendMessageAsync(string path, IMessage message, CancellationToken cancellationToken, Action<HttpRequestMessage>? configure = null) =>
        SendBytesAsync(path, Frame(message), cancellationToken, configure);

    /// <summary>A unary call: the single response message (if any) and the outcome.</summary>
    public async Task<(T? Response, GrpcCallOutcome Outcome)> UnaryAsync<T>(string path, IMessage request, MessageParser<T> parser, CancellationToken cancellationToken, Action<HttpRequestMessage>? configure = null)
        where T : class, IMessage<T>
    {
        using var call = await SendMessageAsync(path, request, cancellationToken, configure);
        if (call.HttpStatus != HttpStatusCode.OK)
        {
            Assert.Fail($"HTTP {(int)call.HttpStatus} {call.Response.Version}: {await call.Response.Content.ReadAsStringAsync(cancellationToken)}");
        }

        var response = await call.ReadMessageAsync(parser, cancellationToken);
        var outcome = await call.ReadStatusAsync(cancellationToken);
        return (response, outcome);
    }

    public void Dispose() => _http.Dispose();
}
