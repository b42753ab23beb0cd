using Chronoq.Sdk.Tests.Support;
using Chronoq.Testing;

namespace Chronoq.Sdk.Tests.Unit;

public sealed class CallCoalescerTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task EnqueueAsync_Idle_SendsAloneAtOnce()
    {
        await using var coalescer = new RecordingCoalescer();
        coalescer.ReleaseAll();

        var result = await coalescer.EnqueueAsync(21, CancellationToken.None).WaitAsync(Limit);

        Assert.Equal(42, result);
        Assert.Equal([[21]], coalescer.Snapshot());
    }

    [Fact]
    public async Task EnqueueAsync_WhileBatchInFlight_NextBatchCarriesEveryWaitingCall()
    {
        await using var coalescer = new RecordingCoalescer();
        var firstSeen = coalescer.NextBatchSeen.Task;
        var first = coalescer.EnqueueAsync(1, CancellationToken.None);
        await firstSeen.WaitAsync(Limit);

        var secondSeen = coalescer.NextBatchSeen.Task;
        var waiting = Enumerable.Range(2, 50).Select(i => coalescer.EnqueueAsync(i, CancellationToken.None)).ToArray();
        coalescer.ReleaseAll();
        var results = await Task.WhenAll(waiting).WaitAsync(Limit);
        await first.WaitAsync(Limit);

        Assert.Equal(Enumerable.Range(2, 50), await secondSeen.WaitAsync(Limit));
        Assert.Equal(Enumerable.Range(2, 50).Select(i => i * 2), results);
        Assert.Equal(2, coalescer.Snapshot().Length);
    }

    [Fact]
    public async Task EnqueueAsync_MoreThanMaxBatchSize_SplitsIntoBatchesOfAtMostThatSize()
    {
        await using var coalescer = new RecordingCoalescer(maxBatchSize: 8);
        var firstSeen = coalescer.NextBatchSeen.Task;
        var first = coalescer.EnqueueAsync(0, CancellationToken.None);
        await firstSeen.WaitAsync(Limit);
        var waiting = Enumerable.Range(1, 20).Select(i => coalescer.EnqueueAsync(i, CancellationToken.None)).ToArray();

        coalescer.ReleaseAll();
        await Task.WhenAll(waiting).WaitAsync(Limit);
        await first.WaitAsync(Limit);

        var batches = coalescer.Snapshot();
        Assert.All(batches, batch => Assert.InRange(batch.Length, 1, 8));
        Assert.Equal(Enumerable.Range(0, 21), batches.SelectMany(static batch => batch));
    }

    [Fact]
    public async Task EnqueueAsync_OverByteLimit_StartsANewBatch()
    {
        await using var coalescer = new RecordingCoalescer(maxBatchBytes: 10);
        var firstSeen = coalescer.NextBatchSeen.Task;
        var first = coalescer.EnqueueAsync(1, CancellationToken.None);
        await firstSeen.WaitAsync(Limit);
        var waiting = new[] { 6, 4, 3, 20 }.Select(i => coalescer.EnqueueAsync(i, CancellationToken.None)).ToArray();

        coalescer.ReleaseAll();
        await Task.WhenAll(waiting).WaitAsync(Limit);
        await first.WaitAsync(Limit);

        // 6+4 fit in 10; 3 does not join them; 20 is over the limit alone but still goes, alone.
        Assert.Equal([[1], [6, 4], [3], [20]], coalescer.Snapshot());
    }

    [Fact]
    public async Task EnqueueAsync_QueueFull_CallerWaitsForRoom()
    {
        await using var coalescer = new RecordingCoalescer(capacity: 2);
        var firstSeen = coalescer.NextBatchSeen.Task;
        var first = coalescer.EnqueueAsync(1, CancellationToken.None);
        await firstSeen.WaitAsync(Limit);
        var queued = new[] { coalescer.EnqueueAsync(2, CancellationToken.None), coalescer.EnqueueAsync(3, CancellationToken.None) };

        var overflow = coalescer.EnqueueAsync(4, CancellationToken.None);

        Assert.Equal(2, coalescer.QueuedCount);
        Assert.False(overflow.IsCompleted);
        coalescer.ReleaseAll();
        Assert.Equal(8, await overflow.WaitAsync(Limit));
        await Task.WhenAll(queued).WaitAsync(Limit);
        await first.WaitAsync(Limit);
    }

    [Fact]
    public async Task EnqueueAsync_CancelledWhileQueued_ThrowsAndIsLeftOutOfTheBatch()
    {
        await using var coalescer = new RecordingCoalescer();
        var firstSeen = coalescer.NextBatchSeen.Task;
        var first = coalescer.EnqueueAsync(1, CancellationToken.None);
        await firstSeen.WaitAsync(Limit);
        using var cancel = new CancellationTokenSource();
        var abandoned = coalescer.EnqueueAsync(2, cancel.Token);
        var kept = coalescer.EnqueueAsync(3, CancellationToken.None);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned.WaitAsync(Limit));
        coalescer.ReleaseAll();

        Assert.Equal(6, await kept.WaitAsync(Limit));
        await first.WaitAsync(Limit);
        Assert.Equal([[1], [3]], coalescer.Snapshot());
    }

    [Fact]
    public async Task EnqueueAsync_WithLinger_WaitsForTheLingerBeforeSending()
    {
        var clock = new ManualTimeProvider();
        await using var coalescer = new RecordingCoalescer(linger: TimeSpan.FromMilliseconds(5), timeProvider: clock);
        coalescer.ReleaseAll();
        var seen = coalescer.NextBatchSeen.Task;
        var first = coalescer.EnqueueAsync(1, CancellationToken.None);

        // The loop is parked on the linger timer: nothing leaves until the clock moves.
        await Eventually.MatchAsync(() => Task.FromResult(clock.ActiveTimers), static timers => timers == 1, Limit, "the linger timer");
        var second = coalescer.EnqueueAsync(2, CancellationToken.None);
        Assert.False(seen.IsCompleted);
        clock.Advance(TimeSpan.FromMilliseconds(5));

        Assert.Equal(new[] { 1, 2 }, await seen.WaitAsync(Limit));
        await Task.WhenAll(first, second).WaitAsync(Limit);
    }

    [Fact]
    public async Task DisposeAsync_WithQueuedCalls_SendsThemFirst()
    {
        var coalescer = new RecordingCoalescer();
        coalescer.ReleaseAll();
        var calls = Enumerable.Range(1, 10).Select(i => coalescer.EnqueueAsync(i, CancellationToken.None)).ToArray();

        await coalescer.DisposeAsync().AsTask().WaitAsync(Limit);

        // Callers resume asynchronously, so await them; had dispose dropped them they would never complete.
        Assert.Equal(Enumerable.Range(1, 10).Select(static i => i * 2), await Task.WhenAll(calls).WaitAsync(Limit));
        Assert.Equal(10, coalescer.Snapshot().Sum(static batch => batch.Length));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => coalescer.EnqueueAsync(11, CancellationToken.None));
    }

    [Fact]
    public async Task EnqueueAsync_ManyProducersWithCancellationsAndFailingBatches_EachCallerGetsExactlyItsOwnOutcome()
    {
        const int Producers = 16;
        const int CallsPerProducer = 400;

        // A small queue so producers also wait for room; every 97th request poisons its batch.
        await using var coalescer = new PoisonedBatchCoalescer(static request => request % 97 == 0, capacity: 64, maxBatchSize: 32, maxInFlight: 2);
        var calls = new (int Request, Task<int> Task, CancellationTokenSource? Cancel)[Producers * CallsPerProducer];
        var producers = Enumerable.Range(0, Producers).Select(producer => Task.Run(async () =>
        {
            var random = new Random(producer);
            var window = new List<Task>();
            for (var i = 0; i < CallsPerProducer; i++)
            {
                var request = (producer * CallsPerProducer) + i;
                var cancel = random.Next(5) == 0 ? new CancellationTokenSource() : null;
                var task = coalescer.EnqueueAsync(request, cancel?.Token ?? CancellationToken.None);
                calls[request] = (request, task, cancel);
                window.Add(task);
                if (cancel is not null)
                {
                    // Cancel at once, or later while the call waits in the queue or rides a batch.
                    if (random.Next(2) == 0)
                    {
                        await cancel.CancelAsync();
                    }
                    else
                    {
                        _ = Task.Delay(random.Next(3)).ContinueWith(_ => cancel.Cancel(), TaskScheduler.Default);
                    }
                }

                if (window.Count == 16)
                {
                    await Task.WhenAny(Task.WhenAll(window), Task.Delay(Limit));
                    window.Clear();
                }
            }
        })).ToArray();
        await Task.WhenAll(producers).WaitAsync(Limit);

        var outcomes = await Task.WhenAll(calls.Select(static call => call.Task.ContinueWith(static task => task, TaskScheduler.Default))).WaitAsync(Limit);
        Assert.Empty(coalescer.SentTwice);
        var succeeded = 0;
        var failed = 0;
        var cancelled = 0;
        for (var i = 0; i < calls.Length; i++)
        {
            var (request, _, cancel) = calls[i];
            var outcome = outcomes[i];
            var sent = coalescer.Sent.TryGetValue(request, out var batch);
            switch (outcome.Status)
            {
                case TaskStatus.RanToCompletion:
                    Assert.True(sent, $"request {request} succeeded without being sent");
                    Assert.Null(batch.Error);
                    Assert.Equal(request * 2, await outcome);
                    succeeded++;
                    break;
                case TaskStatus.Faulted:
                    Assert.True(sent, $"request {request} failed without being sent");
                    Assert.Same(batch.Error, outcome.Exception!.InnerException);
                    failed++;
                    break;
                default:
                    Assert.Equal(TaskStatus.Canceled, outcome.Status);
                    Assert.True(cancel?.IsCancellationRequested, $"request {request} was cancelled without its caller cancelling");
                    cancelled++;
                    break;
            }
        }

        // Every call that was neither cancelled nor failed left in a batch; the mix really happened.
        Assert.True(succeeded > 0 && failed > 0 && cancelled > 0, $"succeeded {succeeded}, failed {failed}, cancelled {cancelled}");
        Assert.Equal(0, coalescer.QueuedCount);
    }

    [Fact]
    public async Task DisposeAsync_CallerWaitingForRoom_FailsWithObjectDisposedWhileQueuedCallsStillGo()
    {
        var coalescer = new RecordingCoalescer(capacity: 1);
        var firstSeen = coalescer.NextBatchSeen.Task;
        var first = coalescer.EnqueueAsync(1, CancellationToken.None);
        await firstSeen.WaitAsync(Limit);
        var queued = coalescer.EnqueueAsync(2, CancellationToken.None);
        var overflow = coalescer.EnqueueAsync(3, CancellationToken.None);
        Assert.False(overflow.IsCompleted);

        var disposing = coalescer.DisposeAsync().AsTask();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => overflow.WaitAsync(Limit));
        coalescer.ReleaseAll();
        await disposing.WaitAsync(Limit);
        Assert.Equal(4, await queued.WaitAsync(Limit));
        Assert.Equal(2, await first.WaitAsync(Limit));
        Assert.Equal([[1], [2]], coalescer.Snapshot());
    }
}
