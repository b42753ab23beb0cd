namespace Chronoq.Core.Internal;

/// <summary>A ReserveOne call waiting for one job, pooled together with its command.</summary>
internal sealed class OneShotWaiter : Waiter
{
    public OneShotWaiter(EngineCommand command) => Command = command;

    public EngineCommand Command { get; }

    /// <summary>The wheel node for the timeout, allocated on first use and kept with the pooled waiter.</summary>
    public int TimeoutTimer = TimingWheel.Unlinked;

    /// <summary>Timeout 0: answered right after the next dispatch.</summary>
    public bool Poll;
}
