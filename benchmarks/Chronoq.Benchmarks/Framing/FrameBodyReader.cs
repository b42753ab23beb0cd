using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Tasks.Sources;
using Microsoft.AspNetCore.Http.Features;

namespace Chronoq.Benchmarks.Framing;

/// <summary>
/// A request body holding one whole request frame, rewound per call so the harness itself
/// allocates nothing. Either the end of the stream is already there (Kestrel's body reader when a
/// unary request's DATA frames arrived before the handler ran), or it arrives later: the reader
/// then reports the frame as not yet complete and a read for more waits until <see cref="ArriveEnd"/>,
/// as when the client's END_STREAM comes in after the handler started.
/// </summary>
internal sealed class FrameBodyReader(byte[] body) : PipeReader, IRequestBodyPipeFeature, IValueTaskSource<ReadResult>
{
    private readonly ReadOnlySequence<byte> _body = new(body);
    private ReadOnlySequence<byte> _remaining = new(body);
    private ManualResetValueTaskSourceCore<ReadResult> _pendingRead;
    private bool _endArrived = true;
    private bool _readPending;

    public PipeReader Reader => this;

    /// <summary>Rewinds to the whole frame; with <paramref name="endArrivesLater"/> the end of the stream waits for <see cref="ArriveEnd"/>.</summary>
    public void Rewind(bool endArrivesLater)
    {
        _remaining = _body;
        _endArrived = !endArrivesLater;
    }

    /// <summary>The end of the stream arrives: a pending read completes (inline, as Kestrel's would on its I/O thread).</summary>
    public void ArriveEnd()
    {
        _endArrived = true;
        if (_readPending)
        {
            _readPending = false;
            _pendingRead.SetResult(new ReadResult(_remaining, isCanceled: false, isCompleted: true));
        }
    }

    public override bool TryRead(out ReadResult result)
    {
        result = new ReadResult(_remaining, isCanceled: false, isCompleted: _endArrived);
        return _endArrived || !_remaining.IsEmpty;
    }

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (TryRead(out var result))
        {
            return new ValueTask<ReadResult>(result);
        }

        _pendingRead.Reset();
        _readPending = true;
        return new ValueTask<ReadResult>(this, _pendingRead.Version);
    }

    public override void AdvanceTo(SequencePosition consumed) => _remaining = _remaining.Slice(consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => AdvanceTo(consumed);

    public override void CancelPendingRead()
    {
    }

    public override void Complete(Exception? exception = null)
    {
    }

    ReadResult IValueTaskSource<ReadResult>.GetResult(short token) => _pendingRead.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<ReadResult>.GetStatus(short token) => _pendingRead.GetStatus(token);

    void IValueTaskSource<ReadResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _pendingRead.OnCompleted(continuation, state, token, flags);
}
