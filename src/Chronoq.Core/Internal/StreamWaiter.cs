using System.Threading.Channels;

namespace Chronoq.Core.Internal;

/// <summary>The engine side of a <see cref="ReservationStream"/>: its credits, held jobs and event channel.</summary>
internal sealed class StreamWaiter : Waiter
{
    public StreamWaiter(int prefetch)
    {
        Prefetch = prefetch;
        Events = Channel.CreateUnbounded<ReservationEvent>(new UnboundedChannelOptions
        {
            SingleReader = true,
            SingleWriter = true,
            AllowSynchronousContinuations = false,
        });
    }

    public int Prefetch { get; }

    /// <summary>Slab indexes of the jobs reserved through this stream.</summary>
    public HashSet<int> Held { get; } = new();

    public Channel<ReservationEvent> Events { get; }

    public bool Closed;

    /// <summary>Deliveries of this turn waiting for the turn's body read; later ones queue behind them.</summary>
    public int PendingDeliveries;
}
