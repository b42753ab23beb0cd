using System.Buffers;
using System.IO.Pipelines;
using BenchmarkDotNet.Attributes;
using Chronoq.Protocol.Grpc;
using Chronoq.Protocol.V1;
using Google.Protobuf;

namespace Chronoq.Benchmarks.Framing;

/// <summary>
/// Frame encode and decode of a typical Put request, through a reused Pipe as the transports use
/// it. Encode must allocate nothing; decode only the parsed message itself.
/// </summary>
[MemoryDiagnoser]
public class GrpcFramingBenchmarks
{
    private readonly Pipe _pipe = new(new PipeOptions(pauseWriterThreshold: 0, resumeWriterThreshold: 0, useSynchronizationContext: false));
    private readonly ArrayBufferWriter<byte> _encodeTarget = new(64 * 1024);
    private PutRequest _message = null!;
    private byte[] _frame = null!;

    /// <summary>Body size in bytes: a small job, and a 4 KiB one that spans more than a pipe segment's common fast path.</summary>
    [Params(64, 4096)]
    public int BodySize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _message = new PutRequest
        {
            Topic = "orders.timeouts",
            Body = ByteString.CopyFrom(new byte[BodySize]),
            Priority = 1024,
            Key = "order-1234567",
        };
        var writer = new ArrayBufferWriter<byte>();
        GrpcFraming.TryWriteMessage(writer, _message);
        _frame = writer.WrittenSpan.ToArray();
    }

    /// <summary>Prefix + protobuf straight into the buffer writer's memory.</summary>
    [Benchmark]
    public int Encode()
    {
        _encodeTarget.ResetWrittenCount();
        GrpcFraming.TryWriteMessage(_encodeTarget, _message);
        return _encodeTarget.WrittenCount;
    }

    /// <summary>Encode into a pipe and flush, as a response is written.</summary>
    [Benchmark]
    public async ValueTask<long> EncodeToPipe()
    {
        GrpcFraming.TryWriteMessage(_pipe.Writer, _message);
        await _pipe.Writer.FlushAsync().ConfigureAwait(false);
        var read = await _pipe.Reader.ReadAsync().ConfigureAwait(false);
        var length = read.Buffer.Length;
        _pipe.Reader.AdvanceTo(read.Buffer.End);
        return length;
    }

    /// <summary>Read one frame from a pipe and parse it; the only allocations should be the message (and its ByteString/strings).</summary>
    [Benchmark]
    public async ValueTask<PutRequest?> Decode()
    {
        await _pipe.Writer.WriteAsync(_frame).ConfigureAwait(false);
        var result = await GrpcFraming.ReadMessageAsync(_pipe.Reader, PutRequest.Parser, int.MaxValue).ConfigureAwait(false);
        return result.Message;
    }

    /// <summary>The baseline the decode is measured against: parsing the same bytes with no framing.</summary>
    [Benchmark(Baseline = true)]
    public PutRequest ParseOnly() => PutRequest.Parser.ParseFrom(_frame.AsSpan(GrpcFraming.HeaderSize));
}
