using Chronoq.Core.Tests.Support;

namespace Chronoq.Core.Tests.Engine;

public sealed class ReservationTests
{
    private static Task<EngineStatus> Wait(ValueTask<EngineStatus> task) => EngineHarness.Wait(task);

    [Fact]
    public async Task ReserveOne_EqualPriorities_ComeOutInIdOrder()
    {
        await using var h = await EngineHarness.StartAsync();
        var ids = new List<ulong>();
        for (var i = 0; i < 10; i++)
        {
            ids.Add(await h.Put("t", priority: 3));
        }

        foreach (var id in ids)
        {
            Assert.Equal(id, (await h.Reserve("t")).Job.Id);
        }
    }

    [Fact]
    public async Task ReserveOne_PrioritiesAcrossTheWholeUint32Range_LowestValueFirstThenIdOrder()
    {
        await using var h = await EngineHarness.StartAsync();
        var priorities = new uint[] { uint.MaxValue, 0, (uint)int.MaxValue + 1, int.MaxValue, uint.MaxValue - 1, uint.MaxValue, 1, (uint)int.MaxValue + 1 };
        var jobs = new List<(ulong Id, uint Priority)>();
        foreach (var priority in priorities)
        {
            var id = await h.Put("t", priority: priority);
            Assert.Equal(priority, (await h.Peek(id)).Priority);
            jobs.Add((id, priority));
        }

        var expected = jobs.OrderBy(j => j.Priority).ThenBy(j => j.Id).Select(j => j.Id).ToArray();
        var actual = new List<ulong>();
        for (var i = 0; i < priorities.Length; i++)
        {
            actual.Add((await h.Reserve("t")).Job.Id);
        }

        // Values past int.MaxValue compared as signed numbers would come out first.
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task ReserveOne_SeveralTopics_PicksLowestPriorityAcrossThem()
    {
        await using var h = await EngineHarness.StartAsync();
        await h.Put("a", priority: 10);
        var best = await h.Put("b", priority: 1);
        await h.Put("c", priority: 0); // not watched

        var job = await h.Reserve("a", "b");

        Assert.Equal(best, job.Job.Id);
    }

    [Fact]
    public async Task ReserveOne_Poll_NoJob_ReturnsNull()
    {
        await using var h = await EngineHarness.StartAsync();
        Assert.Null(await h.Poll("t"));
    }

    [Fact]
    public async Task ReserveOne_Timeout_AnswersNullAfterTimeout()
    {
        await using var h = await EngineHarness.StartAsync();
        var pending = h.Engine.ReserveOneAsync(new[] { "t" }, TimeSpan.FromSeconds(1)).AsTask();
        await h.Advance(TimeSpan.Zero); // the wait is registered before the clock moves
        await h.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(pending.IsCompleted);
        Assert.Equal(1UL, (await h.Stats("t")).Waiting);

        h.Clock.Advance(TimeSpan.FromMilliseconds(1));
        var result = await pending.WaitAsync(EngineHarness.Bound);

        Assert.True(result.IsOk);
        Assert.Null(result.Value);
        Assert.Equal(0UL, (await h.Stats("t")).Waiting);
    }

    [Fact]
    public async Task ReserveOne_Waiting_GetsJobPutLater()
    {
        await using var h = await EngineHarness.StartAsync();
        var pending = h.Engine.ReserveOneAsync(new[] { "t" }, TimeSpan.FromMinutes(1)).AsTask();
        await h.Advance(TimeSpan.FromSeconds(1));
        var id = await h.Put("t");

        var result = await pending.WaitAsync(EngineHarness.Bound);

        Assert.Equal(id, result.Value!.Value.Job.Id);
        Assert.Equal(JobState.Reserved, result.Value.Value.Job.State);
    }

    [Fact]
    public async Task ReserveOne_TwoWaiters_ServedInArrivalOrder()
    {
        await using var h = await EngineHarness.StartAsync();
        var first = h.Engine.ReserveOneAsync(new[] { "a", "b" }, TimeSpan.FromMinutes(1)).AsTask();
        await h.Advance(TimeSpan.Zero);
        var second = h.Engine.ReserveOneAsync(new[] { "b" }, TimeSpan.FromMinutes(1)).AsTask();
        await h.Advance(TimeSpan.Zero);

        var j1 = await h.Put("b");
        Assert.Equal(j1, (await first.WaitAsync(EngineHarness.Bound)).Value!.Value.Job.Id);
        Assert.False(second.IsCompleted);
        var j2 = await h.Put("b");
        Assert.Equal(j2, (await second.WaitAsync(EngineHarness.Bound)).Value!.Value.Job.Id);
    }

    [Fact]
    public async Task ReserveOne_Cancelled_AnswersNull()
    {
        await using var h = await EngineHarness.StartAsync();
        using var cts = new CancellationTokenSource();
        var pending = h.Engine.ReserveOneAsync(new[] { "t" }, TimeSpan.FromMinutes(1), cts.Token).AsTask();
        await h.Advance(TimeSpan.Zero);
        await cts.CancelAsync();

        var result = await pending.WaitAsync(EngineHarness.Bound);
        Assert.Null(result.Value);
        var id = await h.Put("t");
        Assert.Equal(JobState.Ready, (await h.Peek(id)).State);
    }

    [Fact]
    public async Task Reserve_IssuesFreshNonZeroTokensAndDeadline()
    {
        await using var h = await EngineHarness.StartAsync();
        var id = await h.Put("t", ttr: TimeSpan.FromSeconds(10));
        var a = await h.Reserve("t");
        Assert.NotEqual(0UL, a.Reservation);
        Assert.Equal(h.Now.AddSeconds(10), a.Deadline);
        Assert.True((await Wait(h.Engine.ReleaseAsync(id, a.Reservation))).IsOk);
        var b = await h.Reserve("t");
        Assert.NotEqual(a.Reservation, b.Reservation);
        var job = await h.Peek(id);
        Assert.Equal((JobState.Reserved, 2u, 1u), (job.State, job.Reserves, job.Releases));
        Assert.Equal(b.Deadline, job.Deadline);
    }

    [Fact]
    public async Task TtrTimeout_JobBackToReady_OldTokenRejected()
    {
        await using var h = await EngineHarness.StartAsync();
        var id = await h.Put("t", ttr: TimeSpan.FromSeconds(2));
        var r = await h.Reserve("t");

        await h.Advance(TimeSpan.FromSeconds(2));

        var job = await h.Peek(id);
        Assert.Equal((JobState.Ready, 1u), (job.State, job.Timeouts));
        Assert.Equal(1UL, (await h.Stats("t")).TotalTimeouts);
        Assert.Equal(ErrorCode.FailedPrecondition, (await Wait(h.Engine.DeleteAsync(id, r.Reservation))).Code);
        Assert.Equal(ErrorCode.FailedPrecondition, (await Wait(h.Engine.ReleaseAsync(id, r.Reservation))).Code);
        Assert.Equal(ErrorCode.FailedPrecondition, (await Wait(h.Engine.BuryAsync(id, r.Reservation))).Code);
        Assert.Equal(ErrorCode.FailedPrecondition, (await EngineHarness.Wait(h.Engine.TouchAsync(id, r.Reservation))).Status.Code);

        var again = await h.Reserve("t");
        Assert.Equal(ErrorCode.FailedPrecondition, (await Wait(h.Engine.DeleteAsync(id, r.Reservation))).Code);
        Assert.True((await Wait(h.Engine.DeleteAsync(id, again.Reservation))).IsOk);
    }

    [Fact]
    public async Task Delete_ReadyJob_Deleted()
    {
        await using var h = await EngineHarness.StartAsync();
        var id = await h.Put("t");
        Assert.True((await Wait(h.Engine.DeleteAsync(id))).IsOk);
        Assert.Equal(ErrorCode.NotFound, (await EngineHarness.Wait(h.Engine.PeekAsync(id))).Status.Code);
        Assert.Equal(ErrorCode.NotFound, (await Wait(h.Engine.DeleteAsync(id))).Code);
        Assert.Equal(1UL, (await h.Stats("t")).TotalDeletes);
    }

    [Fact]
    public async Task Delete_ReservedWithoutOrWithOtherToken_FailedPrecondition()
    {
        await using var h = await EngineHarness.StartAsync();
        var id = await h.Put("t");
        var r = await h.Reserve("t");

        Assert.Equal(ErrorCode.FailedPrecondition, (await Wait(h.Engine.DeleteAsync(id))).Code);
        Assert.Equal(ErrorCode.FailedPrecondition, (await Wait(h.Engine.DeleteAsync(id, r.Reservation + 1))).Code);
        Assert.True((await Wait(h.Engine.DeleteAsync(id, r.Reservation))).IsOk);
    }

    [Fact]
    public async Task Delete_DelayedAndBuriedJobs_NeedNoReservation()
    {
        await using var h = await EngineHarness.StartAsync();
        var delayed = await h.Put("t", delay: TimeSpan.FromHours(1));
        var buried = await h.Put("t");
        var r = await h.Reserve("t");
        Assert.True((await Wait(h.Engine.BuryAsync(buried, r.Reservation))).IsOk);

        Assert.True((await Wait(h.Engine.DeleteAsync(delayed))).IsOk);
        Assert.True((await Wait(h.Engine.DeleteAsync(buried))).IsOk);
        var stats = await h.Stats("t");
        Assert.Equal((0UL, 0UL, 2UL), (stats.Delayed, stats.Buried, stats.TotalDeletes));
    }

    [Fact]
    public async Task DeleteBatch_MixedItems_EachAnsweredOnItsOwn()
    {
        await using var h = await EngineHarness.StartAsync();
        var a = await h.Put("t");
        var b = await h.Put("t");
        var rb = await h.Reserve("t"); // a
        var result = await EngineHarness.Wait(h.Engine.DeleteBatchAsync(new[]
        {
            new DeleteTarget(a, rb.Reservation),
            new DeleteTarget(b, 0),
            new DeleteTarget(b, 0),
            new DeleteTarget(999, 0),
        }));

        var codes = result.Value.Select(s => s.Code).ToArray();
        Assert.Equal(new[] { ErrorCode.Ok, ErrorCode.Ok, ErrorCode.NotFound, ErrorCode.NotFound }, codes);
    }

    [Fact]
    public async Task DeleteByKey_LiveKey_DeletesElseNotFoundOrPrecondition()
    {
        await using var h = await EngineHarness.StartAsync();
        var id = await h.Put("t", key: "k", delay: TimeSpan.FromHours(1));
        Assert.True((await Wait(h.Engine.DeleteByKeyAsync("t", "k"))).IsOk);
        Assert.Equal(ErrorCode.NotFound, (await Wait(h.Engine.DeleteByKeyAsync("t", "k"))).Code);
        Assert.Equal(ErrorCode.NotFound, (await EngineHarness.Wait(h.Engine.PeekAsync(id))).Status.Code);

        await h.Put("t", key: "k2");
        await h.Reserve("t");
        Assert.Equal(ErrorCode.FailedPrecondition, (await Wait(h.Engine.DeleteByKeyAsync("t", "k2"))).Code);
        Assert.Equal(ErrorCode.InvalidArgument, (await Wait(h.Engine.DeleteByKeyAsync("t", ""))).Code);
    }

    [Fact]
    public async Task Release_UnknownOrUnreserved_NotFoundOrFailedPrecondition()
    {
        await using var h = await EngineHarness.StartAsync();
        Assert.Equal(ErrorCode.NotFound, (await Wait(h.Engine.ReleaseAsync(4242, 1))).Code);
        var id = await h.Put("t");
        Assert.Equal(ErrorCode.FailedPrecondition, (await Wait(h.Engine.ReleaseAsync(id, 1))).Code);
        Assert.Equal(ErrorCode.FailedPrecondition, (await Wait(h.Engine.BuryAsync(id, 1))).Code);
    }

    [Fact]
    public async Task Release_WithPriorityAndDelay_DelayedThenReady()
    {
        await using var h = await EngineHarness.StartAsync();
        var id = await h.Put("t", priority: 9);
        var r = await h.Reserve("t");
        Assert.True((await Wait(h.Engine.ReleaseAsync(id, r.Reservation, 4, TimeSpan.FromSeconds(5)))).IsOk);

        var job = await h.Peek(id);
        Assert.Equal((JobState.Delayed, 4u, h.Now.AddSeconds(5)), (job.State, job.Priority, job.ReadyAt));
        Assert.Null(await h.Poll("t"));
        await h.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(id, (await h.Reserve("t")).Job.Id);
    }

    [Fact]
    public async Task Release_NegativeDelay_InvalidArgumentNamingDelay()
    {
        await using var h = await EngineHarness.StartAsync();
        var status = await Wait(h.Engine.ReleaseAsync(1, 1, null, TimeSpan.FromSeconds(-1)));
        Assert.Equal(ErrorCode.InvalidArgument, status.Code);
        Assert.StartsWith("delay", status.Message);
    }

    [Fact]
    public async Task Bury_ThenKick_ReadyAgainWithCounters()
    {
        await using var h = await EngineHarness.StartAsync();
        var id = await h.Put("t", priority: 3);
        var r = await h.Reserve("t");
        Assert.True((await Wait(h.Engine.BuryAsync(id, r.Reservation, 8))).IsOk);
        var buried = await h.Peek(id);
        Assert.Equal((JobState.Buried, 8u, 1u), (buried.State, buried.Priority, buried.Buries));
        Assert.Equal(id, (await EngineHarness.Wait(h.Engine.PeekNextAsync("t", JobState.Buried))).Value.Id);

        Assert.Equal(1u, (await EngineHarness.Wait(h.Engine.KickAsync("t", 1))).Value);
        var kicked = await h.Peek(id);
        Assert.Equal((JobState.Ready, 1u), (kicked.State, kicked.Kicks));
        Assert.Equal(0u, (await EngineHarness.Wait(h.Engine.KickAsync("t", 1))).Value);
    }

    [Fact]
    public async Task Kick_BuriedFirstOldestFirst_ThenDelayedSoonestFirst()
    {
        await using var h = await EngineHarness.StartAsync();
        var d1 = await h.Put("t", delay: TimeSpan.FromMinutes(3));
        var d2 = await h.Put("t", delay: TimeSpan.FromMinutes(1));
        var d3 = await h.Put("t", delay: TimeSpan.FromMinutes(2));
        var b1 = await h.Put("t", priority: 1);
        var b2 = await h.Put("t", priority: 0);
        var rb2 = await h.Reserve("t");
        var rb1 = await h.Reserve("t");
        Assert.True((await Wait(h.Engine.BuryAsync(b2, rb2.Reservation))).IsOk);
        Assert.True((await Wait(h.Engine.BuryAsync(b1, rb1.Reservation))).IsOk);

        Assert.Equal(1u, (await EngineHarness.Wait(h.Engine.KickAsync("t", 1))).Value);
        Assert.Equal(JobState.Ready, (await h.Peek(b2)).State); // buried first
        Assert.Equal(JobState.Buried, (await h.Peek(b1)).State);
        Assert.Equal(1u, (await EngineHarness.Wait(h.Engine.KickAsync("t", 10))).Value); // only buried while any are
        Assert.Equal(JobState.Delayed, (await h.Peek(d2)).State);

        Assert.Equal(2u, (await EngineHarness.Wait(h.Engine.KickAsync("t", 2))).Value);
        Assert.Equal(JobState.Ready, (await h.Peek(d2)).State);
        Assert.Equal(JobState.Ready, (await h.Peek(d3)).State);
        Assert.Equal(JobState.Delayed, (await h.Peek(d1)).State);
    }

    [Fact]
    public async Task KickJob_BuriedAndDelayed_KickedElseFailedPreconditionOrNotFound()
    {
        await using var h = await EngineHarness.StartAsync();
        var ready = await h.Put("t");
        var r = await h.Reserve("t");
        Assert.True((await Wait(h.Engine.BuryAsync(ready, r.Reservation))).IsOk);
        Assert.True((await Wait(h.Engine.KickJobAsync(ready))).IsOk);
        Assert.Equal(ErrorCode.FailedPrecondition, (await Wait(h.Engine.KickJobAsync(ready))).Code);

        var delayed = await h.Put("t", delay: TimeSpan.FromHours(1));
        Assert.True((await Wait(h.Engine.KickJobAsync(delayed))).IsOk);
        Assert.Equal(JobState.Ready, (await h.Peek(delayed)).State);
        Assert.Equal(ErrorCode.FailedPrecondition, (await Wait(h.Engine.KickJobAsync(delayed))).Code);

        await h.Reserve("t");
        Assert.Equal(ErrorCode.FailedPrecondition, (await Wait(h.Engine.KickJobAsync(ready))).Code);
        Assert.Equal(ErrorCode.NotFound, (await Wait(h.Engine.KickJobAsync(777))).Code);
    }

    [Fact]
    public async Task Touch_UnknownUnreservedAndReserved_NotFoundPreconditionAndNewDeadline()
    {
        await using var h = await EngineHarness.StartAsync();
        Assert.Equal(ErrorCode.NotFound, (await EngineHarness.Wait(h.Engine.TouchAsync(55, 1))).Status.Code);
        var id = await h.Put("t", ttr: TimeSpan.FromSeconds(10));
        Assert.Equal(ErrorCode.FailedPrecondition, (await EngineHarness.Wait(h.Engine.TouchAsync(id, 1))).Status.Code);

        var r = await h.Reserve("t");
        await h.Advance(TimeSpan.FromSeconds(8));
        var deadline = await EngineHarness.Wait(h.Engine.TouchAsync(id, r.Reservation));
        Assert.Equal(h.Now.AddSeconds(10), deadline.Value);

        await h.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(JobState.Reserved, (await h.Peek(id)).State);
        await h.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(JobState.Ready, (await h.Peek(id)).State);
    }

    [Fact]
    public async Task ReserveJob_ReadyDelayedBuried_ReservedElseFailedPrecondition()
    {
        await using var h = await EngineHarness.StartAsync();
        var ready = await h.Put("t");
        var delayed = await h.Put("t", delay: TimeSpan.FromHours(1));
        var toBury = await h.Put("t", priority: 0);

        var r1 = await EngineHarness.Wait(h.Engine.ReserveJobAsync(ready));
        Assert.Equal((ready, JobState.Reserved), (r1.Value.Job.Id, r1.Value.Job.State));
        Assert.Equal(ErrorCode.FailedPrecondition, (await EngineHarness.Wait(h.Engine.ReserveJobAsync(ready))).Status.Code);

        var r2 = await EngineHarness.Wait(h.Engine.ReserveJobAsync(delayed));
        Assert.True((await Wait(h.Engine.ReleaseAsync(delayed, r2.Value.Reservation))).IsOk);
        Assert.Equal(JobState.Ready, (await h.Peek(delayed)).State);

        var r3 = (await EngineHarness.Wait(h.Engine.ReserveJobAsync(toBury))).Value;
        Assert.True((await Wait(h.Engine.BuryAsync(toBury, r3.Reservation))).IsOk);
        var r4 = await EngineHarness.Wait(h.Engine.ReserveJobAsync(toBury));
        Assert.True((await Wait(h.Engine.ReleaseAsync(toBury, r4.Value.Reservation))).IsOk);
        Assert.Equal(JobState.Ready, (await h.Peek(toBury)).State);
        Assert.Equal(ErrorCode.NotFound, (await EngineHarness.Wait(h.Engine.ReserveJobAsync(9999))).Status.Code);
    }

    [Fact]
    public async Task ReserveJob_DelayedJob_ItsDelayNoLongerActsOnceReservedOrReleased()
    {
        await using var h = await EngineHarness.StartAsync();
        var id = await h.Put("t", delay: TimeSpan.FromSeconds(10), ttr: TimeSpan.FromSeconds(60));
        var first = (await EngineHarness.Wait(h.Engine.ReserveJobAsync(id))).Value;
        var stats = await h.Stats("t");
        Assert.Equal((0UL, 0UL, 1UL), (stats.Ready, stats.Delayed, stats.Reserved));

        // Released with no delay: ready at once, not at the end of the delay it was put with.
        Assert.True((await Wait(h.Engine.ReleaseAsync(id, first.Reservation))).IsOk);
        Assert.Equal(JobState.Ready, (await h.Peek(id)).State);
        var second = await h.Reserve("t");
        Assert.Equal(id, second.Job.Id);

        // The original delay's end passes while the job is held: it stays reserved under the same token.
        await h.Advance(TimeSpan.FromSeconds(10));
        var held = await h.Peek(id);
        Assert.Equal((JobState.Reserved, second.Deadline), (held.State, held.Deadline));
        stats = await h.Stats("t");
        Assert.Equal((0UL, 0UL, 1UL), (stats.Ready, stats.Delayed, stats.Reserved));

        // Released with a delay of its own: ready at that time, once.
        Assert.True((await Wait(h.Engine.ReleaseAsync(id, second.Reservation, null, TimeSpan.FromSeconds(30)))).IsOk);
        await h.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(JobState.Delayed, (await h.Peek(id)).State);
        await h.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(id, (await h.Reserve("t")).Job.Id);
        Assert.Null(await h.Poll("t"));
    }

    [Fact]
    public async Task ReserveJob_TtrRunsOut_BackToReady()
    {
        await using var h = await EngineHarness.StartAsync();
        var id = await h.Put("t", ttr: TimeSpan.FromSeconds(1));
        var r = await EngineHarness.Wait(h.Engine.ReserveJobAsync(id));
        Assert.True(r.IsOk);
        await h.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(JobState.Ready, (await h.Peek(id)).State);
    }

    [Fact]
    public async Task Pause_DelaysReserveUntilPauseEnds()
    {
        await using var h = await EngineHarness.StartAsync();
        var id = await h.Put("t");
        Assert.True((await Wait(h.Engine.PauseTopicAsync("t", TimeSpan.FromSeconds(1)))).IsOk);
        Assert.Null(await h.Poll("t"));
        Assert.Equal(TimeSpan.FromSeconds(1), (await h.Stats("t")).PauseRemaining);

        var pending = h.Engine.ReserveOneAsync(new[] { "t" }, TimeSpan.FromSeconds(5)).AsTask();
        await h.Advance(TimeSpan.Zero);
        await h.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(pending.IsCompleted);
        h.Clock.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal(id, (await pending.WaitAsync(EngineHarness.Bound)).Value!.Value.Job.Id);
        Assert.Equal(TimeSpan.Zero, (await h.Stats("t")).PauseRemaining);
    }

    [Fact]
    public async Task Pause_ZeroDuration_EndsPauseAndWakesWaiter()
    {
        await using var h = await EngineHarness.StartAsync();
        Assert.True((await Wait(h.Engine.PauseTopicAsync("t", TimeSpan.FromDays(1)))).IsOk);
        var id = await h.Put("t");
        var pending = h.Engine.ReserveOneAsync(new[] { "t" }, TimeSpan.FromMinutes(1)).AsTask();
        await h.Advance(TimeSpan.FromSeconds(1));
        Assert.False(pending.IsCompleted);

        Assert.True((await Wait(h.Engine.PauseTopicAsync("t", TimeSpan.Zero))).IsOk);

        Assert.Equal(id, (await pending.WaitAsync(EngineHarness.Bound)).Value!.Value.Job.Id);
    }

    [Fact]
    public async Task Pause_OtherTopicOfWaiter_StillDelivers()
    {
        await using var h = await EngineHarness.StartAsync();
        await h.Put("a", priority: 0);
        var b = await h.Put("b", priority: 5);
        Assert.True((await Wait(h.Engine.PauseTopicAsync("a", TimeSpan.FromMinutes(1)))).IsOk);
        Assert.Equal(b, (await h.Reserve("a", "b")).Job.Id);
    }
}
