using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using Chronoq.Protocol.Grpc;
using Chronoq.Service.Tests.Protos;
using Google.Protobuf;

namespace Chronoq.Service.Tests.Protocol;

public sealed class GrpcFramingTests
{
    [Fact]
    public void TryWriteMessage_SmallMessage_PrefixThenBytes()
    {
        var message = new EchoRequest { Text = "hello" };
        var buffer = new ArrayBufferWriter<byte>();

        Assert.True(GrpcFraming.TryWriteMessage(buffer, message));

        var written = buffer.WrittenSpan;
        Assert.Equal(0, written[0]);
        Assert.Equal((uint)message.CalculateSize(), BinaryPrimitives.ReadUInt32BigEndian(written[1..]));
        Assert.Equal(message.ToByteArray(), written[5..].ToArray());
    }

    [Fact]
    public void TryWriteMessage_OverMax_WritesNothing()
    {
        var buffer = new ArrayBufferWriter<byte>();

        Assert.False(GrpcFraming.TryWriteMessage(buffer, new EchoRequest { Text = new string('x', 100) }, maxMessageSize: 10));
        Assert.Equal(0, buffer.WrittenCount);
    }

    [Fact]
    public async Task ReadMessageAsync_LargeMessageAcrossSegments_RoundTrips()
    {
        var pipe = new Pipe(new PipeOptions(minimumSegmentSize: 512));
        var message = new EchoRequest { Payload = ByteString.CopyFrom(Enumerable.Range(0, 100_000).Select(i => (byte)i).ToArray()) };
        GrpcFraming.TryWriteMessage(pipe.Writer, message);
        GrpcFraming.TryWriteMessage(pipe.Writer, new EchoRequest { Text = "second" });
        await pipe.Writer.CompleteAsync();

        var first = await GrpcFraming.ReadMessageAsync(pipe.Reader, EchoRequest.Parser, int.MaxValue, TestTimeout());
        var second = await GrpcFraming.ReadMessageAsync(pipe.Reader, EchoRequest.Parser, int.MaxValue, TestTimeout());
        var end = await GrpcFraming.ReadMessageAsync(pipe.Reader, EchoRequest.Parser, int.MaxValue, TestTimeout());

        Assert.Equal(message, first.Message);
        Assert.Equal("second", second.Message?.Text);
        Assert.Equal(GrpcFrameReadStatus.EndOfStream, end.Status);
    }

    [Fact]
    public async Task ReadMessageAsync_FrameArrivesInPieces_WaitsForWholeFrame()
    {
        var pipe = new Pipe();
        var frame = Frame(new EchoRequest { Text = "pieces" });

        var reading = GrpcFraming.ReadMessageAsync(pipe.Reader, EchoRequest.Parser, int.MaxValue, TestTimeout()).AsTask();
        await pipe.Writer.WriteAsync(frame.AsMemory(0, 3));
        Assert.False(reading.IsCompleted);
        await pipe.Writer.WriteAsync(frame.AsMemory(3));

        Assert.Equal("pieces", (await reading).Message?.Text);
    }

    [Fact]
    public async Task ReadMessageAsync_PrefixOf2Pow31_TooLargeWithoutBody()
    {
        var pipe = new Pipe();
        var prefix = new byte[5];
        BinaryPrimitives.WriteUInt32BigEndian(prefix.AsSpan(1), 1u << 31);
        await pipe.Writer.WriteAsync(prefix);

        // The stream is not completed: only the prefix check can answer.
        var result = await GrpcFraming.ReadMessageAsync(pipe.Reader, EchoRequest.Parser, 4 * 1024 * 1024, TestTimeout());

        Assert.Equal(GrpcFrameReadStatus.MessageTooLarge, result.Status);
        Assert.Equal(1L << 31, result.DeclaredLength);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(7)]
    public async Task ReadMessageAsync_StreamEndsInsideFrame_Truncated(int keep)
    {
        var pipe = new Pipe();
        var frame = Frame(new EchoRequest { Text = "truncated" });
        await pipe.Writer.WriteAsync(frame.AsMemory(0, keep));
        await pipe.Writer.CompleteAsync();

        var result = await GrpcFraming.ReadMessageAsync(pipe.Reader, EchoRequest.Parser, int.MaxValue, TestTimeout());

        Assert.Equal(GrpcFrameReadStatus.TruncatedFrame, result.Status);
    }

    [Fact]
    public async Task ReadMessageAsync_CompressedFlag_ReportsCompressed()
    {
        var pipe = new Pipe();
        var frame = Frame(new EchoRequest { Text = "z" });
        frame[0] = 1;
        await pipe.Writer.WriteAsync(frame);

        var result = await GrpcFraming.ReadMessageAsync(pipe.Reader, EchoRequest.Parser, int.MaxValue, TestTimeout());

        Assert.Equal(GrpcFrameReadStatus.Compressed, result.Status);
    }

    [Fact]
    public async Task ReadMessageAsync_BadProtobuf_InvalidMessage()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(new byte[] { 0, 0, 0, 0, 2, 0x0A, 50 });

        var result = await GrpcFraming.ReadMessageAsync(pipe.Reader, EchoRequest.Parser, int.MaxValue, TestTimeout());

        Assert.Equal(GrpcFrameReadStatus.InvalidMessage, result.Status);
    }

    [Fact]
    public void Decode_PrefixInFrameIncompleteStreamGoesOn_TruncatedWithDeclaredLengthNothingConsumed()
    {
        // A caller holding the bytes in one array sizes it from this declared length.
        var frame = Frame(new EchoRequest { Text = new string('x', 300) });

        var result = GrpcFraming.Decode(new ReadOnlySequence<byte>(frame, 0, 10), ended: false, EchoRequest.Parser, int.MaxValue, out var consumed);

        Assert.Equal(GrpcFrameReadStatus.TruncatedFrame, result.Status);
        Assert.Equal(frame.Length - GrpcFraming.HeaderSize, result.DeclaredLength);
        Assert.Equal(0, consumed);
    }

    /// <summary>
    /// beanstalkd's job_size_max_plus_1: with the limit at the largest value it can be set to
    /// (int.MaxValue: Chronoq:MaxReceiveMessageSize is an int), a length one past it, or the
    /// largest a prefix can declare, is refused on the prefix; the limit itself is not.
    /// </summary>
    [Theory]
    [InlineData((uint)int.MaxValue + 1, GrpcFrameReadStatus.MessageTooLarge)]
    [InlineData(uint.MaxValue, GrpcFrameReadStatus.MessageTooLarge)]
    [InlineData((uint)int.MaxValue, GrpcFrameReadStatus.TruncatedFrame)]
    public void Decode_LimitAtItsMaximum_OneByteMoreRefusedOnThePrefix(uint declared, GrpcFrameReadStatus expected)
    {
        var prefix = new byte[GrpcFraming.HeaderSize];
        BinaryPrimitives.WriteUInt32BigEndian(prefix.AsSpan(1), declared);

        var result = GrpcFraming.Decode(new ReadOnlySequence<byte>(prefix), ended: false, EchoRequest.Parser, int.MaxValue, out var consumed);

        Assert.Equal((expected, (long)declared, 0L), (result.Status, result.DeclaredLength, consumed));
    }

    [Fact]
    public void Decode_BadFrameThenMessage_ConsumesOneFrameAtATime()
    {
        var bad = new byte[] { 0, 0, 0, 0, 2, 0x0A, 50 };
        var good = Frame(new EchoRequest { Text = "after" });
        var bytes = bad.Concat(good).ToArray();

        var first = GrpcFraming.Decode(new ReadOnlySequence<byte>(bytes), ended: true, EchoRequest.Parser, int.MaxValue, out var firstConsumed);
        var second = GrpcFraming.Decode(new ReadOnlySequence<byte>(bytes, (int)firstConsumed, good.Length), ended: true, EchoRequest.Parser, int.MaxValue, out var secondConsumed);
        var end = GrpcFraming.Decode(ReadOnlySequence<byte>.Empty, ended: true, EchoRequest.Parser, int.MaxValue, out _);

        Assert.Equal(GrpcFrameReadStatus.InvalidMessage, first.Status);
        Assert.Equal(bad.Length, firstConsumed);
        Assert.Equal("after", second.Message?.Text);
        Assert.Equal(good.Length, secondConsumed);
        Assert.Equal(GrpcFrameReadStatus.EndOfStream, end.Status);
    }

    private static byte[] Frame(IMessage message)
    {
        var buffer = new ArrayBufferWriter<byte>();
        GrpcFraming.TryWriteMessage(buffer, message);
        return buffer.WrittenSpan.ToArray();
    }

    private static CancellationToken TestTimeout() => new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token;
}
