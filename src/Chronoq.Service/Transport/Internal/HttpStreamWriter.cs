using Chronoq.Protocol.Grpc;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;

namespace Chronoq.Service.Transport.Internal;

/// <summary>Writes framed response messages into the HTTP/2 response body.</summary>
internal sealed class HttpStreamWriter<T>(HttpContext httpContext, GrpcCallSettings settings, ServerCallContext call) : IServerStreamWriter<T>
    where T : class, IMessage<T>
{
    private bool _completed;

    public async Task WriteAsync(T message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (_completed)
        {
            throw new InvalidOperationException("The call has completed; no more messages can be written.");
        }

        var token = cancellationToken.CanBeCanceled ? cancellationToken : call.CancellationToken;
        call.CancellationToken.ThrowIfCancellationRequested();
        token.ThrowIfCancellationRequested();
        Append(httpContext, settings, call, message);
        var flush = await httpContext.Response.BodyWriter.FlushAsync(token).ConfigureAwait(false);
        if (flush.IsCanceled)
        {
            throw new OperationCanceledException(token);
        }
    }

    /// <summary>Frames a message into the body without flushing (unary responses go out with the trailers).</summary>
    public static void Append(HttpContext httpContext, GrpcCallSettings settings, ServerCallContext call, T message)
    {
        if (!GrpcFraming.TryWriteMessage(httpContext.Response.BodyWriter, message, settings.MaxSendMessageSize))
        {
            throw new RpcException(StatusCode.ResourceExhausted, $"Sending message larger than max ({message.CalculateSize()} vs. {settings.MaxSendMessageSize}).");
        }

        call.ResponseStarted = true;
    }

    public void Complete() => _completed = true;
}
