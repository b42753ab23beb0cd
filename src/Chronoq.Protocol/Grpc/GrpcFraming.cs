using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.IO.Pipelines;
using Google.Protobuf;

namespace Chronoq.Protocol.Grpc;

/// <summary>
/// The gRPC length-prefixed message: a 1-byte compressed flag, a 4-byte big-endian length, then
/// the protobuf bytes. Shared by the server and the client so both speak exactly one framing.
/// </summary>
public static class GrpcFraming
{
    /// <summary>The size of the prefix: flag + length.</summary>
    public const int HeaderSize = 5;

    /// <summary>
    /// Writes one uncompressed message straight into the writer's buffer (no intermediate array).
    /// Returns false, writing nothing, when the message is larger than <paramref name="maxMessageSize"/>.
    /// The caller flushes.
    /// </summary>
    public static bool TryWriteMessage(IBufferWriter<byte> writer, IMessage message, int maxMessageSize = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(message);
        var size = message.CalculateSize();
        if (size > maxMessageSize)
        {
            return false;
        }

        // Small messages (the common case) go into one span: header and body in a single
        // GetSpan/Advance. Larger ones let protobuf spread over the writer's segments.
        var span = writer.GetSpan(HeaderSize);
        span[0] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)size);
        if (span.Length >= HeaderSize + size)
        {
            message.WriteTo(span.Slice(HeaderSize, size));
            writer.Advance(HeaderSize + size);
        }
        else
        {
            writer.Advance(HeaderSize);
            message.WriteTo(writer);
        }

        return true;
    }

    /// <summary>
    /// Tries to cut one frame off the front of <paramref name="buffer"/>. The maximum size is
    /// checked on the prefix, before any payload is needed, so an absurd length never buffers.
    /// Returns <see cref="GrpcFrameReadStatus.Message"/> with the payload and the position after
    /// the frame; <see cref="GrpcFrameReadStatus.TruncatedFrame"/> when more bytes are needed
    /// (the caller decides whether the stream has ended); <see cref="GrpcFrameReadStatus.MessageTooLarge"/>
    /// or <see cref="GrpcFrameReadStatus.Compressed"/> for a prefix it must reject.
    /// </summary>
    public static GrpcFrameReadStatus TryReadFrame(
        in ReadOnlySequence<byte> buffer,
        int maxMessageSize,
        out ReadOnlySequence<byte> payload,
        out SequencePosition end,
        out long declaredLength)
    {
        payload = default;
        end = buffer.Start;
        declaredLength = 0;
        if (buffer.Length < HeaderSize)
        {
            return GrpcFrameReadStatus.TruncatedFrame;
        }

        Span<byte> header = stackalloc byte[HeaderSize];
        buffer.Slice(0, HeaderSize).CopyTo(header);
        declaredLength = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        if (header[0] != 0)
        {
            return GrpcFrameReadStatus.Compressed;
        }

        if (declaredLength > maxMessageSize)
        {
            return GrpcFrameReadStatus.MessageTooLarge;
        }

        if (buffer.Length - HeaderSize < declaredLength)
        {
            return GrpcFrameReadStatus.TruncatedFrame;
        }

        payload = buffer.Slice(HeaderSize, declaredLength);
        end = payload.End;
        return GrpcFrameReadStatus.Message;
    }

    /// <summary>
    /// Reads the next message from the pipe. Never throws for bad input: a clean end, an oversize
    /// prefix, a truncated frame, a compressed frame or unparsable bytes come back as the status.
    /// Cancellation throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public static ValueTask<GrpcFrameReadResult<T>> ReadMessageAsync<T>(
        PipeReader reader,
        MessageParser<T> parser,
        int maxMessageSize,
        CancellationToken cancellationToken = default)
        where T : class, IMessage<T>
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(parser);

        // Fast path: the whole frame is usually already buffered (a unary request arrives in one
        // DATA frame), so no async state machine is needed.
        if (reader.TryRead(out var result))
        {
            var outcome = Consume(reader, result, parser, maxMessageSize, out var done);
            if (done)
            {
                return new ValueTask<GrpcFrameReadResult<T>>(outcome);
            }
        }

        return ReadSlowAsync(reader, parser, maxMessageSize, cancellationToken);
    }

    private static async ValueTask<GrpcFrameReadResult<T>> ReadSlowAsync<T>(
        PipeReader reader,
        MessageParser<T> parser,
        int maxMessageSize,
        CancellationToken cancellationToken)
        where T : class, IMessage<T>
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (result.IsCanceled)
            {
                ThrowCanceled();
            }

            var outcome = Consume(reader, result, parser, maxMessageSize, out var done);
            if (done)
            {
                return outcome;
            }
        }
    }

    // Examines one read; "done" is false when more bytes are needed and the stream goes on.
    private static GrpcFrameReadResult<T> Consume<T>(
        PipeReader reader,
        ReadResult result,
        MessageParser<T> parser,
        int maxMessageSize,
        out bool done)
        where T : class, IMessage<T>
    {
        var buffer = result.Buffer;
        var status = TryReadFrame(buffer, maxMessageSize, out var payload, out var end, out var declaredLength);
        done = true;
        switch (status)
        {
            case GrpcFrameReadStatus.Message:
                T message;
                try
                {
                    message = parser.ParseFrom(payload);
                }
                catch (InvalidProtocolBufferException)
                {
                    reader.AdvanceTo(end);
                    return new(GrpcFrameReadStatus.InvalidMessage, null, declaredLength);
                }

                reader.AdvanceTo(end);
                return new(GrpcFrameReadStatus.Message, message, declaredLength);

            case GrpcFrameReadStatus.TruncatedFrame when !result.IsCompleted:
                // Need more: mark everything examined so the next read waits for new bytes.
                reader.AdvanceTo(buffer.Start, buffer.End);
                done = false;
                return default;

            case GrpcFrameReadStatus.TruncatedFrame:
                reader.AdvanceTo(buffer.Start, buffer.End);
                return new(buffer.IsEmpty ? GrpcFrameReadStatus.EndOfStream : GrpcFrameReadStatus.TruncatedFrame, null, declaredLength);

            default:
                // Rejected on the prefix: consume nothing more; the call is over anyway.
                reader.AdvanceTo(buffer.Start, buffer.End);
                return new(status, null, declaredLength);
        }
    }

    [DoesNotReturn]
    private static void ThrowCanceled() => throw new OperationCanceledException("The read was cancelled.");
}
