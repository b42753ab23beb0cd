using System.Collections.Concurrent;
using Chronoq.Sdk.Internal;

namespace Chronoq.Sdk.Tests.Support;

/// <summary>
/// A coalescer that answers each request doubled, except that a batch holding a poisoned request
/// fails as a whole (its send throws); records which batch carried each request and whether it failed.
/// </summary>
internal sealed class PoisonedBatchCoalescer : CallCoalescer<int, int>
{
    private readonly Func<int, bool> _isPoison;
    private int _batchNumber;

    public PoisonedBatchCoalescer(Func<int, bool> isPoison, int capacity, int maxBatchSize, int maxInFlight)
        : base(capacity, maxBatchSize, int.MaxValue, TimeSpan.Zero, maxInFlight, TimeProvider.System)
    {
        _isPoison = isPoison;
    }

    /// <summary>Per request sent: the batch that carried it, and that batch's error when it failed.</summary>
    public ConcurrentDictionary<int, (int Batch, Exception? Error)> Sent { get; } = new();

    /// <summary>Requests that were sent more than once (must stay empty).</summary>
    public ConcurrentBag<int> SentTwice { get; } = [];

    protected override int SizeOf(int request) => 1;

    protected override async Task SendAsync(IReadOnlyList<PendingCall<int, int>> batch)
    {
        // Let the callers race with the batch in flight.
        await Task.Yield();
        var number = Interlocked.Increment(ref _batchNumber);
        var error = batch.Any(pending => _isPoison(pending.Request)) ? new InvalidOperationException($"batch {number} failed") : null;
        foreach (var pending in batch)
        {
            if (!Sent.TryAdd(pending.Request, (number, error)))
            {
                SentTwice.Add(pending.Request);
            }
        }

        if (error is not null)
        {
            throw error;
        }

        foreach (var pending in batch)
        {
            pending.Complete(pending.Request * 2);
        }
    }
}
