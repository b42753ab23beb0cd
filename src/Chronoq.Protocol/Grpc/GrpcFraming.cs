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
    /// Decodes the frame at the front of <paramref name="buffer"/>: the one routine behind every
    /// read of length-prefixed messages, whatever holds the bytes. The maximum size is checked on
    /// the prefix, before any payload is needed, so an absurd length never buffers.
    /// <paramref name="ended"/> says whether the stream has ended after these bytes.
    /// </summary>
    /// <returns>
    /// <see cref="GrpcFrameReadStatus.Message"/> or <see cref="GrpcFrameReadStatus.InvalidMessage"/>
    /// for a whole frame, which <paramref name="consumed"/> covers; <see cref="GrpcFrameReadStatus.TruncatedFrame"/>
    /// for an incomplete one: when the stream has not ended, more bytes are needed, and the
    /// declared length is known once the prefix is in (0 before) so the caller can size its buffer;
    /// <see cref="GrpcFrameReadStatus.EndOfStream"/> for a clean end between frames; or a prefix to
    /// reject (<see cref="GrpcFrameReadStatus.MessageTooLarge"/>, <see cref="GrpcFrameReadStatus.Compressed"/>).
    /// <paramref name="consumed"/> is 0 for all but a whole frame.
    /// </returns>
    public static GrpcFrameReadResult<T> Decode<T>(
        in ReadOnlySequence<byte> buffer,
        bool ended,
        MessageParser<T> parser,
        int maxMessageSize,
        out long consumed)
        where T : class, IMessage<T>
    {
        consumed = 0;
        if (buffer.Length < HeaderSize)
        {
            var status = ended && buffer.IsEmpty ? GrpcFrameReadStatus.EndOfStream : GrpcFrameReadStatus.TruncatedFrame;
            return new(status, null, 0);
        }

        Span<byte> header = stackalloc byte[HeaderSize];
        buffer.Slice(0, HeaderSize).CopyTo(header);
        long declaredLength = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        if (header[0] != 0)
        {
            return new(GrpcFrameReadStatus.Compressed, null, declaredLength);
        }

        if (declaredLength > maxMessageSize)
        {
            return new(GrpcFrameReadStatus.MessageTooLarge, null, declaredLength);
        }

        if (buffer.Length - HeaderSize < declaredLength)
        {
            return new(GrpcFrameReadStatus.TruncatedFrame, null, declaredLength);
        }

        // The frame is over either way: bytes that do not parse are not read again.
        consumed = HeaderSize + declaredLength;
        try
        {
            return new(GrpcFrameReadStatus.Message, parser.ParseFrom(buffer.Slice(HeaderSize, declaredLength)), declaredLength);
        }
        catch (InvalidProtocolBufferException)
        {
            return new(GrpcFrameReadStatus.InvalidMessage, null, declaredLength);
        }
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
        var outcome = Decode(buffer, result.IsCompleted, parser, maxMessageSize, out var consumed);
        if (consumed > 0)
        {
            reader.AdvanceTo(buffer.GetPosition(consumed));
        }
        else
        {
            // Nothing whole yet: mark everything examined so the next read waits for new bytes.
            // After a rejected prefix or the end nothing more is read: the call is over anyway.
            reader.AdvanceTo(buffer.Start, buffer.End);
        }

        done = outcome.Status != GrpcFrameReadStatus.TruncatedFrame || result.IsCompleted;
        return outcome;
    }

    [DoesNotReturn]
    private static void ThrowCanceled() => throw new OperationCanceledException("The read was cancelled.");
}
