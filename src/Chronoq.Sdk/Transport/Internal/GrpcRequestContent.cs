using System.Buffers;
using System.Net;
using Chronoq.Protocol.Grpc;
using Google.Protobuf;

namespace Chronoq.Sdk.Transport.Internal;

/// <summary>
/// The body of a request: one length-prefixed message written by <see cref="GrpcFraming"/>
/// straight into a pooled buffer (this content is its own <see cref="IBufferWriter{T}"/>, so no
/// writer object is allocated) and sent in one write. The buffer goes back to the pool as soon as
/// it is written, so a call holds no pooled memory while it waits for its response.
/// </summary>
internal sealed class GrpcRequestContent : HttpContent, IBufferWriter<byte>
{
    private readonly IMessage _message;
    private readonly int _messageSize;
    private byte[] _buffer = [];
    private int _written;

    public GrpcRequestContent(IMessage message, int messageSize)
    {
        _message = message;
        _messageSize = messageSize;
        Headers.TryAddWithoutValidation("Content-Type", GrpcHeaderNames.ContentType);
    }

    public void Advance(int count) => _written += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        EnsureCapacity(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        EnsureCapacity(sizeHint);
        return _buffer.AsSpan(_written);
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    // May run more than once: the handler re-sends a request the server refused before
    // processing it (REFUSED_STREAM, GOAWAY), so every run frames the message afresh.
    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(GrpcFraming.HeaderSize + _messageSize);
        _written = 0;
        try
        {
            GrpcFraming.TryWriteMessage(this, _message);
            await stream.WriteAsync(_buffer.AsMemory(0, _written), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }

    // No Content-Length: gRPC frames its messages itself and the stream's end marks the last one.
    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }

    // The size was measured before the call started; it only grows if the caller mutated the
    // message since, and then protobuf writes through GetSpan in pieces.
    private void EnsureCapacity(int sizeHint)
    {
        var needed = _written + Math.Max(sizeHint, 1);
        if (needed <= _buffer.Length)
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _buffer.Length * 2));
        _buffer.AsSpan(0, _written).CopyTo(larger);
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = larger;
    }
}
