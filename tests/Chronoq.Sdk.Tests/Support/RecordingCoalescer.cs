using Chronoq.Sdk.Internal;

namespace Chronoq.Sdk.Tests.Support;

/// <summary>A coalescer whose batches are recorded and held until the test lets them go; each request answers its own value doubled.</summary>
internal sealed class RecordingCoalescer : CallCoalescer<int, int>
{
    private readonly object _gate = new();
    private TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public RecordingCoalescer(int capacity = 100, int maxBatchSize = 100, int maxBatchBytes = int.MaxValue, int maxInFlight = 1, TimeSpan linger = default, TimeProvider? timeProvider = null)
        : base(capacity, maxBatchSize, maxBatchBytes, linger, maxInFlight, timeProvider ?? TimeProvider.System)
    {
    }

    public List<int[]> Batches { get; } = [];

    public TaskCompletionSource<int[]> NextBatchSeen { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Lets every batch held so far (and later ones) complete.</summary>
    public void ReleaseAll()
    {
        lock (_gate)
        {
            _release.TrySetResult();
        }
    }

    /// <summary>Holds later batches again.</summary>
    public void Hold()
    {
        lock (_gate)
        {
            _release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public int[][] Snapshot()
    {
        lock (_gate)
        {
            return [.. Batches];
        }
    }

    // Each request counts its value as bytes, so the byte limit can be tested.
    protected override int SizeOf(int request) => request;

    protected override async Task SendAsync(IReadOnlyList<PendingCall<int, int>> batch)
    {
        Task release;
        TaskCompletionSource<int[]> seen;
        var requests = batch.Select(static pending => pending.Request).ToArray();
        lock (_gate)
        {
            Batches.Add(requests);
            release = _release.Task;
            seen = NextBatchSeen;
            NextBatchSeen = new TaskCompletionSource<int[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        seen.TrySetResult(requests);
        await release;
        foreach (var pending in batch)
        {
            pending.Complete(pending.Request * 2);
        }
    }
}
