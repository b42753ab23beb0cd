using System.IO.Pipelines;

namespace Chronoq.Benchmarks.Framing;

/// <summary>A response body that counts and forgets what is written, so the harness allocates nothing per call.</summary>
internal sealed class DiscardingBodyWriter : PipeWriter
{
    // Larger than any response the in-process benchmarks write.
    private readonly byte[] _buffer = new byte[4096];

    public long Written { get; private set; }

    public override void Advance(int bytes) => Written += bytes;

    public override Memory<byte> GetMemory(int sizeHint = 0) => _buffer;

    public override Span<byte> GetSpan(int sizeHint = 0) => _buffer;

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => default;

    public override void CancelPendingFlush()
    {
    }

    public override void Complete(Exception? exception = null)
    {
    }
}
