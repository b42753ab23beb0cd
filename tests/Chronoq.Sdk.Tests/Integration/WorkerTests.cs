using System.Diagnostics;
using Chronoq.Protocol.V1;
using Chronoq.Sdk.Tests.Support;
using Chronoq.Sdk.Transport;
using Microsoft.Extensions.Logging;

namespace Chronoq.Sdk.Tests.Integration;

[Collection(ServerCollection.Name)]
public sealed class WorkerTests(ServerFixture fixture) : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private readonly ChronoqClient _client = fixture.CreateClient();
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(30));

    private CancellationToken Token => _timeout.Token;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        _timeout.Dispose();
    }

    [Fact]
    public async Task Worker_HandlerSucceeds_DeletesTheJobInsideTheProducersTrace()
    {
        var topic = TestTopics.Unique("worker-ok");
        var traced = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = static source => source.Name == ChronoqTelemetry.ActivitySourceName,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => { lock (traced) { traced.Add(activity); } },
        };
        ActivitySource.AddActivityListener(listener);
        var orders = _client.Topic(topic, SdkTestJsonContext.Default.OrderPlaced);
        PutResult put;
        ActivityTraceId producerTrace;
        using (var parent = new Activity("checkout").SetIdFormat(ActivityIdFormat.W3C).Start())
        {
            producerTrace = parent.TraceId;
            put = await orders.PutAsync(new OrderPlaced("o-1", 3m, ["a"]), cancellationToken: Token);
        }

        await using var worker = await WorkerHarness.StartAsync(fixture, topic, ChronoqWorkerOptions.Default);
        await Eventually.MatchAsync(() => _client.PeekAsync(put.Id, Token), static job => job is null, Patience, "the job deleted");

        var seen = Assert.Single(worker.Probe.Seen);
        Assert.Equal(put.Id, seen.JobId);
        Assert.Equal(producerTrace, seen.TraceId);
        lock (traced)
        {
            var process = Assert.Single(traced, a => a.OperationName == topic + " process");
            Assert.Equal(ActivityKind.Consumer, process.Kind);
            Assert.Equal(producerTrace, Assert.Single(process.Links).Context.TraceId);
        }
    }

    [Fact]
    public async Task Worker_HandlerAlwaysFails_ReleasedWithGrowingBackoffThenBuriedWithTheLastErrorLogged()
    {
        var topic = TestTopics.Unique("worker-fail");
        var put = await _client.PutAsync(topic, """{"orderId":"o-2","amount":1,"items":[]}"""u8.ToArray(), cancellationToken: Token);
        var options = ChronoqWorkerOptions.Default with
        {
            MaxAttempts = 3,
            RetryInitialDelay = TimeSpan.FromMilliseconds(200),
            RetryMaxDelay = TimeSpan.FromMilliseconds(400),
        };

        await using var worker = await WorkerHarness.StartAsync(fixture, topic, options, static (_, invocation, _) => throw new InvalidOperationException($"boom {invocation}"));
        var job = await Eventually.MatchAsync(() => _client.PeekAsync(put.Id, Token), static job => job?.State == JobState.Buried, Patience, "the job buried");

        Assert.Equal(3, worker.Probe.Invocations);
        Assert.Equal(3u, job!.Reserves);
        Assert.Equal(2u, job.Releases);
        Assert.Equal(1u, job.Buries);
        var times = worker.Probe.Seen.Select(static s => s.At).ToArray();
        Assert.Equal([1, 2, 3], worker.Probe.Seen.Select(static s => s.Attempt));
        // Equal jitter: the first retry waits at least half of 200 ms, the second at least half of 400 ms.
        Assert.True(times[1] - times[0] >= TimeSpan.FromMilliseconds(90), $"first backoff {times[1] - times[0]}");
        Assert.True(times[2] - times[1] >= TimeSpan.FromMilliseconds(190), $"second backoff {times[2] - times[1]}");
        var buried = Assert.Single(worker.Logs.Logs, static log => log.Level == LogLevel.Error && log.EventId.Id == 12);
        Assert.Contains("boom 3", buried.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Worker_HandlerFailsOnceThenSucceeds_JobDeletedOnTheSecondAttempt()
    {
        var topic = TestTopics.Unique("worker-retry");
        var put = await _client.Topic(topic, SdkTestJsonContext.Default.OrderPlaced).PutAsync(new OrderPlaced("o-3", 1m, []), cancellationToken: Token);
        var options = ChronoqWorkerOptions.Default with { RetryInitialDelay = TimeSpan.FromMilliseconds(100), RetryMaxDelay = TimeSpan.FromMilliseconds(100) };

        await using var worker = await WorkerHarness.StartAsync(fixture, topic, options, static (_, invocation, _) => invocation == 1 ? throw new TimeoutException("transient") : Task.CompletedTask);
        await Eventually.MatchAsync(() => _client.PeekAsync(put.Id, Token), static job => job is null, Patience, "the job deleted");

        Assert.Equal(2, worker.Probe.Invocations);
    }

    [Fact]
    public async Task Worker_HandlerRunsThreeTimesTheTtr_AutoTouchKeepsTheJobFromBeingDeliveredAgain()
    {
        var topic = TestTopics.Unique("worker-touch");
        var put = await _client.Topic(topic, SdkTestJsonContext.Default.OrderPlaced)
            .PutAsync(new OrderPlaced("o-4", 1m, []), new PutOptions { Ttr = TimeSpan.FromSeconds(2) }, Token);
        Job? seenAtTheEnd = null;

        await using var worker = await WorkerHarness.StartAsync(fixture, topic, ChronoqWorkerOptions.Default with { Concurrency = 2 }, async (job, _, cancellationToken) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(6), cancellationToken);
            seenAtTheEnd = await _client.PeekAsync(job.Id, cancellationToken);
        });
        await Eventually.MatchAsync(() => _client.PeekAsync(put.Id, Token), static job => job is null, Patience, "the job deleted");

        Assert.Equal(1, worker.Probe.Invocations);
        Assert.NotNull(seenAtTheEnd);
        Assert.Equal(JobState.Reserved, seenAtTheEnd.State);
        Assert.Equal(0u, seenAtTheEnd.Timeouts);
        Assert.Equal(1u, seenAtTheEnd.Reserves);
    }

    [Fact]
    public async Task Worker_StoppedWhileHandling_FinishesTheRunningJobAndReturnsTheOnesNotStarted()
    {
        var topic = TestTopics.Unique("worker-stop");
        var orders = _client.Topic(topic, SdkTestJsonContext.Default.OrderPlaced);
        var ids = new List<ulong>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await orders.PutAsync(new OrderPlaced($"o-{i}", i, []), cancellationToken: Token)).Id);
        }

        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var worker = await WorkerHarness.StartAsync(fixture, topic, ChronoqWorkerOptions.Default with { Concurrency = 1, Prefetch = 3 }, (_, _, _) => gate.Task);
        await worker.Probe.FirstStarted.Task.WaitAsync(Patience);
        await Eventually.MatchAsync(() => _client.GetTopicStatsAsync(topic, Token), static stats => stats.Reserved == 3, Patience, "all three prefetched");

        var stopping = worker.StopAsync(Patience);
        await Task.Delay(TimeSpan.FromMilliseconds(200), Token);
        Assert.False(stopping.IsCompleted, "stop must wait for the running handler");
        gate.SetResult();
        await stopping;

        Assert.Equal(1, worker.Probe.Invocations);
        var started = worker.Probe.Seen.Single().JobId;
        Assert.Null(await _client.PeekAsync(started, Token));
        foreach (var id in ids.Where(id => id != started))
        {
            // Returned to READY by the stream's close, delivered once and never handed out again in between.
            var job = await Eventually.MatchAsync(() => _client.PeekAsync(id, Token), static job => job?.State == JobState.Ready, Patience, $"job {id} back to READY");
            Assert.Equal(1u, job!.Reserves);
            Assert.Equal(0u, job.Buries);
        }
    }

    [Fact]
    public async Task Worker_AcknowledgementsInFlight_DoNotHoldTheHandlerSlot()
    {
        var topic = TestTopics.Unique("worker-acks");
        var orders = _client.Topic(topic, SdkTestJsonContext.Default.OrderPlaced);
        var ids = new List<ulong>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await orders.PutAsync(new OrderPlaced($"o-{i}", i, []), cancellationToken: Token)).Id);
        }

        // Every Delete and DeleteBatch of the worker's client waits here, so each acknowledgement
        // stays in flight until the test lets them all go.
        var acks = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        RequestMetadataProvider holdAcks = async (method, _, cancellationToken) =>
        {
            if (method.EndsWith("/Delete", StringComparison.Ordinal) || method.EndsWith("/DeleteBatch", StringComparison.Ordinal))
            {
                await acks.Task.WaitAsync(cancellationToken);
            }
        };
        await using var worker = await WorkerHarness.StartAsync(
            fixture,
            topic,
            ChronoqWorkerOptions.Default with { Concurrency = 1, Prefetch = 3 },
            configureClient: o => o with { Authentication = holdAcks });

        // With one handler slot, the second and third jobs can only start if the first one's
        // acknowledgement does not keep the slot.
        await Eventually.MatchAsync(() => Task.FromResult(worker.Probe.Invocations), static count => count == 3, Patience, "all three handled while their acknowledgements wait");
        foreach (var id in ids)
        {
            Assert.Equal(JobState.Reserved, (await _client.PeekAsync(id, Token))!.State);
        }

        acks.SetResult();
        foreach (var id in ids)
        {
            await Eventually.MatchAsync(() => _client.PeekAsync(id, Token), static job => job is null, Patience, $"job {id} deleted");
        }
    }

    [Fact]
    public async Task Worker_HandlerOutlivesTheShutdownTimeout_IsCancelledAndItsJobReturnedToReady()
    {
        var topic = TestTopics.Unique("worker-abandon");
        var put = await _client.Topic(topic, SdkTestJsonContext.Default.OrderPlaced).PutAsync(new OrderPlaced("o-5", 1m, []), cancellationToken: Token);

        await using var worker = await WorkerHarness.StartAsync(fixture, topic, ChronoqWorkerOptions.Default with { ShutdownTimeout = TimeSpan.FromMilliseconds(300) }, static (_, _, cancellationToken) => Task.Delay(Timeout.Infinite, cancellationToken));
        await worker.Probe.FirstStarted.Task.WaitAsync(Patience);
        await worker.StopAsync(Patience);

        var job = await Eventually.MatchAsync(() => _client.PeekAsync(put.Id, Token), static job => job?.State == JobState.Ready, Patience, "the job back to READY");
        Assert.Equal(1u, job!.Reserves);
        Assert.Equal(0u, job.Buries);
        Assert.Equal(1, worker.Probe.Invocations);
    }

    [Fact]
    public async Task Worker_BodyIsNotJson_BuriesTheJobWithoutCallingTheHandler()
    {
        var topic = TestTopics.Unique("worker-poison");
        var put = await _client.PutAsync(topic, "not json"u8.ToArray(), cancellationToken: Token);

        await using var worker = await WorkerHarness.StartAsync(fixture, topic, ChronoqWorkerOptions.Default);
        await Eventually.MatchAsync(() => _client.PeekAsync(put.Id, Token), static job => job?.State == JobState.Buried, Patience, "the job buried");

        Assert.Equal(0, worker.Probe.Invocations);
    }
}
