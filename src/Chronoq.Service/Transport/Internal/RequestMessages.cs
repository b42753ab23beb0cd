using System.Diagnostics.CodeAnalysis;
using System.IO.Pipelines;
using Chronoq.Protocol.Grpc;
using Google.Protobuf;

namespace Chronoq.Service.Transport.Internal;

/// <summary>Reads request messages and turns a bad frame into the status the spec asks for.</summary>
internal static class RequestMessages
{
    /// <summary>Reads the single request of a unary or server-streaming call, and checks nothing follows it.</summary>
    public static async ValueTask<T> ReadSingleAsync<T>(PipeReader reader, MessageParser<T> parser, int maxMessageSize, CancellationToken cancellationToken)
        where T : class, IMessage<T>
    {
        var first = await GrpcFraming.ReadMessageAsync(reader, parser, maxMessageSize, cancellationToken).ConfigureAwait(false);
        if (first.Status != GrpcFrameReadStatus.Message)
        {
            ThrowFor(first.Status, first.DeclaredLength, maxMessageSize);
        }

        // The end of the stream: the client's END_STREAM often arrives after the handler started,
        // so this wait is usually asynchronous. Waiting here rather than through ReadMessageAsync
        // saves that method's state machine (one allocation per call). Bytes after the message go
        // through ReadMessageAsync after all, so an extra message or a bad prefix ends the call
        // exactly as before.
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (result.IsCanceled)
            {
                throw new OperationCanceledException("The read was cancelled.");
            }

            var buffer = result.Buffer;
            if (!buffer.IsEmpty)
            {
                reader.AdvanceTo(buffer.Start);
                var next = await GrpcFraming.ReadMessageAsync(reader, parser, maxMessageSize, cancellationToken).ConfigureAwait(false);
                if (next.Status != GrpcFrameReadStatus.EndOfStream)
                {
                    throw new RpcException(StatusCode.Internal, "Additional data after the request message.");
                }

                return first.Message!;
            }

            // Nothing yet: mark it examined so the next read waits for new bytes or the end.
            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return first.Message!;
            }
        }
    }

    [DoesNotReturn]
    public static void ThrowFor(GrpcFrameReadStatus status, long declaredLength, int maxMessageSize) => throw status switch
    {
        GrpcFrameReadStatus.EndOfStream => new RpcException(StatusCode.Internal, "The request ended without a message."),
        GrpcFrameReadStatus.MessageTooLarge => new RpcException(StatusCode.ResourceExhausted, $"Received message larger than max ({declaredLength} vs. {maxMessageSize})."),
        GrpcFrameReadStatus.TruncatedFrame => new RpcException(StatusCode.Internal, "Incomplete message: the request ended inside a frame."),
        // The spec: a compressed flag with grpc-encoding absent or identity is a protocol error, INTERNAL.
        GrpcFrameReadStatus.Compressed => new RpcException(StatusCode.Internal, "Compressed message received but grpc-encoding is identity."),
        GrpcFrameReadStatus.InvalidMessage => new RpcException(StatusCode.Internal, "Failed to deserialize the request message."),
        _ => new InvalidOperationException($"Unexpected frame status {status}."),
    };
}
