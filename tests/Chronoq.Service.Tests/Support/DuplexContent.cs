using System.IO.Pipelines;
using System.Net;
using Chronoq.Protocol.Grpc;
using Google.Protobuf;

namespace Chronoq.Service.Tests.Support;

/// <summary>A request body the test writes to message by message while the response streams back.</summary>
internal sealed class DuplexContent : HttpContent
{
    private readonly Pipe _pipe = new();

    public DuplexContent() => Headers.ContentType = new(GrpcHeaderNames.ContentType);

    public async Task WriteAsync(IMessage message)
    {
        GrpcFraming.TryWriteMessage(_pipe.Writer, message);
        await _pipe.Writer.FlushAsync();
    }

    public async Task WriteRawAsync(byte[] bytes)
    {
        await _pipe.Writer.WriteAsync(bytes);
    }

    public void Complete() => _pipe.Writer.Complete();

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        while (true)
        {
            var read = await _pipe.Reader.ReadAsync();
            foreach (var segment in read.Buffer)
            {
                await stream.WriteAsync(segment);
            }

            _pipe.Reader.AdvanceTo(read.Buffer.End);
            await stream.FlushAsync();
            if (read.IsCompleted)
            {
                return;
            }
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
