using Chronoq.Core.Tests.Support;

namespace Chronoq.Core.Tests.Engine;

public sealed class StreamTests
{
    [Fact]
    public async Task Stream_Prefetch_HoldsAtMostPrefetchJobsAndRefillsOnDelete()
    {
        await using var h = await EngineHarness.StartAsync();
        var ids = new List<ulong>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await h.Put("t"));
        }

        await using var stream = await h.OpenStream(2, "t");
        var e1 = await EngineHarness.Next(stream);
        var e2 = await EngineHarness.Next(stream);
        Assert.Equal((ids[0], ids[1]), (e1.Job.Job.Id, e2.Job.Job.Id));
        await h.Advance(TimeSpan.Zero);
        Assert.False(stream.Events.TryRead(out _));
        Assert.Equal(2UL, (await h.Stats("t")).Reserved);

        Assert.True((await EngineHarness.Wait(h.Engine.DeleteAsync(e1.Job.Job.Id, e1.Job.Reservation))).IsOk);
        var e3 = await EngineHarness.Next(stream);
        Assert.Equal(ids[2], e3.Job.Job.Id);

        Assert.True((await EngineHarness.Wait(h.Engine.BuryAsync(e2.Job.Job.Id, e2.Job.Reservation))).IsOk);
        Assert.Equal(ids[3], (await EngineHarness.Next(stream)).Job.Job.Id);
    }

    [Fact]
    public async Task Stream_DefaultPrefetchZero_MeansOne()
    {
        await using var h = await EngineHarness.StartAsync();
        await h.Put("t");
        await h.Put("t");
        await using var stream = await h.OpenStream(0, "t");
        Assert.Equal(1, stream.Prefetch);
        await EngineHarness.Next(stream);
        await h.Advance(TimeSpan.Zero);
        Assert.False(stream.Events.TryRead(out _));
    }

    [Fact]
    public async Task Stream_Dispose_ReturnsHeldJobsToReadyAtOnce()
    {
        await using var h = await EngineHarness.StartAsync();
        var id = await h.Put("t", ttr: TimeSpan.FromSeconds(100));
        var stream = await h.OpenStream(1, "t");
        Assert.Equal(id, (await EngineHarness.Next(stream)).Job.Job.Id);

        await stream.DisposeAsync().AsTask().WaitAsync(EngineHarness.Bound);

        Assert.Equal(JobState.Ready, (await h.Peek(id)).State);
        Assert.Equal(id, (await h.Reserve("t")).Job.Id);
        Assert.False(await stream.Events.WaitToReadAsync().AsTask().WaitAsync(EngineHarness.Bound));
    }

    [Fact]
    public async Task Stream_TtrTimeout_FreesSlot()
    {
        await using var h = await EngineHarness.StartAsync();
        var a = await h.Put("t", ttr: TimeSpan.FromSeconds(3));
        var b = await h.Put("t");
        await using var stream = await h.OpenStream(1, "t");
        Assert.Equal(a, (await EngineHarness.Next(stream)).Job.Job.Id);

        await h.Advance(TimeSpan.FromSeconds(3));

        var events = new List<ReservationEvent> { await EngineHarness.Next(stream), await EngineHarness.Next(stream) };
        Assert.Equal(ReservationEventKind.DeadlineSoon, events[0].Kind);
        Assert.Equal(a, events[0].DeadlineSoon.Id);
        Assert.Equal(ReservationEventKind.Job, events[1].Kind);
        Assert.Equal(a, events[1].Job.Job.Id); // a timed out and is the most urgent ready job again
        Assert.Equal(JobState.Ready, (await h.Peek(b)).State);
    }

    [Fact]
    public async Task DeadlineSoon_SentOnceOneSecondBeforeDeadline_AndRearmedByTouch()
    {
        await using var h = await EngineHarness.StartAsync();
        var id = await h.Put("t", ttr: TimeSpan.FromSeconds(5));
        await using var stream = await h.OpenStream(1, "t");
        var job = (await EngineHarness.Next(stream)).Job;

        await h.Advance(TimeSpan.FromMilliseconds(3999));
        Assert.False(stream.Events.TryRead(out _));
        await h.Advance(TimeSpan.FromMilliseconds(1));
        var soon = await EngineHarness.Next(stream);
        Assert.Equal(ReservationEventKind.DeadlineSoon, soon.Kind);
        Assert.Equal(new DeadlineSoon(id, job.Reservation, job.Deadline), soon.DeadlineSoon);
        await h.Advance(TimeSpan.FromMilliseconds(500));
        Assert.False(stream.Events.TryRead(out _));
        Assert.Equal(JobState.Reserved, (await h.Peek(id)).State); // still reserved inside the margin

        var touched = await EngineHarness.Wait(h.Engine.TouchAsync(id, job.Reservation));
        await h.Advance(TimeSpan.FromSeconds(4));
        var again = await EngineHarness.Next(stream);
        Assert.Equal(touched.Value, again.DeadlineSoon.Deadline);

        Assert.True((await EngineHarness.Wait(h.Engine.ReleaseAsync(id, job.Reservation))).IsOk);
        var redelivered = (await EngineHarness.Next(stream)).Job; // released to ready, and the stream's slot is free again
        Assert.Equal(id, redelivered.Job.Id);
        Assert.NotEqual(job.Reservation, redelivered.Reservation);
    }

    [Fact]
    public async Task DeadlineSoon_TtrOneSecond_FollowsTheJobAtOnce()
    {
        await using var h = await EngineHarness.StartAsync();
        var id = await h.Put("t", ttr: TimeSpan.FromSeconds(1));
        await using var stream = await h.OpenStream(1, "t");

        var first = await EngineHarness.Next(stream);
        var second = await EngineHarness.Next(stream);

        Assert.Equal(ReservationEventKind.Job, first.Kind);
        Assert.Equal(ReservationEventKind.DeadlineSoon, second.Kind);
        Assert.Equal(first.Job.Reservation, second.DeadlineSoon.Reservation);
        Assert.Equal(id, second.DeadlineSoon.Id);
    }

    [Fact]
    public async Task Stream_SeveralStreams_TakeTurns()
    {
        await using var h = await EngineHarness.StartAsync();
        await using var s1 = await h.OpenStream(5, "t");
        await using var s2 = await h.OpenStream(5, "t");
        await h.Advance(TimeSpan.Zero);
        Assert.Equal(2UL, (await h.Stats("t")).Waiting);
        var a = await h.Put("t");
        var b = await h.Put("t");

        Assert.Equal(a, (await EngineHarness.Next(s1)).Job.Job.Id);
        Assert.Equal(b, (await EngineHarness.Next(s2)).Job.Job.Id);
    }

    /// <summary>
    /// The tail of the engine-cycle benchmark's batched run in miniature: a caller done with its
    /// rounds but with its stream still open takes its turn of the last jobs another caller put, so
    /// that caller waits for them (for the TTR, were nothing to change); disposing the idle stream
    /// returns them to READY and the waiting stream gets them at once.
    /// </summary>
    [Fact]
    public async Task Stream_ReaderDoneButStreamOpen_HoldsItsTurnOfJobsUntilDisposed()
    {
        await using var h = await EngineHarness.StartAsync();
        var finished = await h.OpenStream(2, "t");
        await using var running = await h.OpenStream(2, "t");
        await h.Advance(TimeSpan.Zero);
        var a = await h.Put("t");
        var b = await h.Put("t");

        Assert.Equal(b, (await EngineHarness.Next(running)).Job.Job.Id);
        await h.Advance(TimeSpan.FromSeconds(30));
        Assert.False(running.Events.TryRead(out _));
        var stats = await h.Stats("t");
        Assert.Equal((0UL, 2UL, 2UL), (stats.Ready, stats.Reserved, stats.Waiting));

        await finished.DisposeAsync().AsTask().WaitAsync(EngineHarness.Bound);

        var handed = await EngineHarness.Next(running);
        Assert.Equal(a, handed.Job.Job.Id);
        Assert.True((await EngineHarness.Wait(h.Engine.DeleteAsync(a, handed.Job.Reservation))).IsOk);
    }

    [Fact]
    public async Task Stream_PausedTopic_DeliversAfterPause()
    {
        await using var h = await EngineHarness.StartAsync();
        Assert.True((await EngineHarness.Wait(h.Engine.PauseTopicAsync("t", TimeSpan.FromSeconds(2)))).IsOk);
        var id = await h.Put("t");
        await using var stream = await h.OpenStream(1, "t");
        await h.Advance(TimeSpan.FromSeconds(1));
        Assert.False(stream.Events.TryRead(out _));
        await h.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(id, (await EngineHarness.Next(stream)).Job.Job.Id);
    }

    [Fact]
    public async Task Dispose_Engine_EndsStreamsAndAnswersUnavailable()
    {
        var h = await EngineHarness.StartAsync();
        var stream = await h.OpenStream(1, "t");
        var pending = h.Engine.ReserveOneAsync(new[] { "u" }, TimeSpan.FromMinutes(1)).AsTask();
        await h.Advance(TimeSpan.Zero);

        await h.Engine.DisposeAsync().AsTask().WaitAsync(EngineHarness.Bound);

        Assert.Equal(ErrorCode.Unavailable, (await pending.WaitAsync(EngineHarness.Bound)).Status.Code);
        Assert.False(await stream.Events.WaitToReadAsync().AsTask().WaitAsync(EngineHarness.Bound));
        Assert.Equal(ErrorCode.Unavailable, (await EngineHarness.Wait(h.Engine.PutAsync(new JobSpec { Topic = "t" }))).Status.Code);
        await stream.DisposeAsync().AsTask().WaitAsync(EngineHarness.Bound);
    }
}
