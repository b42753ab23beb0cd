using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;

namespace Chronoq.Benchmarks.Framing;

/// <summary>
/// A request body that already holds the whole request (one frame, end of stream), as Kestrel's
/// body reader looks when a unary request's DATA frames arrived before the handler ran. Rewound
/// per call so the harness itself allocates nothing.
/// </summary>
internal sealed class FrameBodyReader(byte[] body) : PipeReader, IRequestBodyPipeFeature
{
    private readonly ReadOnlySequence<byte> _body = new(body);
    private ReadOnlySequence<byte> _remaining = new(body);

    public PipeReader Reader => this;

    public void Rewind() => _remaining = _body;

    public override bool TryRead(out ReadResult result)
    {
        result = new ReadResult(_remaining, isCanceled: false, isCompleted: true);
        return true;
    }

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        TryRead(out var result);
        return new ValueTask<ReadResult>(result);
    }

    public override void AdvanceTo(SequencePosition consumed) => _remaining = _remaining.Slice(consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => AdvanceTo(consumed);

    public override void CancelPendingRead()
    {
    }

    public override void Complete(Exception? exception = null)
    {
    }
}
