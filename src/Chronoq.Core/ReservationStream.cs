using System.Threading.Channels;
using Chronoq.Core.Internal;

namespace Chronoq.Core;

/// <summary>
/// A streaming reservation (chronoq.v1 Reserve): the engine delivers the most urgent ready job across
/// the watched topics whenever fewer than <see cref="Prefetch"/> jobs are held through the stream, and
/// a <see cref="DeadlineSoon"/> event 1 s before each reservation's deadline. A slot frees on delete,
/// release, bury or TTR timeout: at once, while that change is still committing, so that a freed
/// slot does not wait a commit for its next job (which is always one that is durable already). If
/// the change's commit then fails, its job is held through the stream again, beside the one that
/// took its slot: one more than <see cref="Prefetch"/> for each such slot (so at most twice it),
/// until enough of them go. Disposing the stream returns every job it still holds to READY at once
/// and completes <see cref="Events"/>.
/// </summary>
public sealed class ReservationStream : IAsyncDisposable
{
    private readonly EngineCore _core;
    private readonly StreamWaiter _waiter;
    private int _disposed;

    internal ReservationStream(EngineCore core, StreamWaiter waiter)
    {
        _core = core;
        _waiter = waiter;
    }

    /// <summary>Most jobs held through this stream at once.</summary>
    public int Prefetch => _waiter.Prefetch;

    /// <summary>The events, in order; completes when the stream is disposed or the engine stops.</summary>
    public ChannelReader<ReservationEvent> Events => _waiter.Events.Reader;

    /// <summary>Ends the stream: its held jobs are READY again when this completes.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        var command = _core.Rent(CommandKind.CloseStream);
        command.Stream = _waiter;
        await _core.Post(command).ConfigureAwait(false);
        if (!command.Status.IsOk)
        {
            // The engine stopped first; it has completed the events already or is about to.
            _waiter.Events.Writer.TryComplete();
        }

        _core.Return(command);
    }
}
