using Chronoq.Protocol.Grpc;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;

namespace Chronoq.Service.Transport.Internal;

/// <summary>Reads a request stream from the HTTP/2 request body.</summary>
internal sealed class HttpStreamReader<T>(HttpContext httpContext, MessageParser<T> parser, GrpcCallSettings settings, ServerCallContext call) : IAsyncStreamReader<T>
    where T : class, IMessage<T>
{
    private T? _current;

    public T Current => _current ?? throw new InvalidOperationException("MoveNext has not returned true.");

    public async ValueTask<bool> MoveNext(CancellationToken cancellationToken = default)
    {
        var token = cancellationToken.CanBeCanceled ? cancellationToken : call.CancellationToken;
        var result = await GrpcFraming.ReadMessageAsync(httpContext.Request.BodyReader, parser, settings.MaxReceiveMessageSize, token).ConfigureAwait(false);
        switch (result.Status)
        {
            case GrpcFrameReadStatus.Message:
                _current = result.Message;
                return true;
            case GrpcFrameReadStatus.EndOfStream:
                _current = null;
                return false;
            default:
                RequestMessages.ThrowFor(result.Status, result.DeclaredLength, settings.MaxReceiveMessageSize);
                return false;
        }
    }
}
