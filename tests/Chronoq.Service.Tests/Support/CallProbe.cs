using Chronoq.Service.Transport;

namespace Chronoq.Service.Tests.Support;

/// <summary>What the test service saw of its last call.</summary>
internal sealed class CallProbe
{
    public TaskCompletionSource<bool> Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public DateTimeOffset? LastDeadline { get; private set; }

    public string? LastPeer { get; private set; }

    public string? LastCustomHeader { get; private set; }

    public void Record(ServerCallContext context)
    {
        LastDeadline = context.Deadline;
        LastPeer = context.Peer;
        LastCustomHeader = context.RequestHeaders["x-custom"];
    }
}
