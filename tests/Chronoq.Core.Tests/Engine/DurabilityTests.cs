using Chronoq.Core.Storage;
using Chronoq.Core.Tests.Support;
using Chronoq.Testing;

namespace Chronoq.Core.Tests.Engine;

public sealed class DurabilityTests
{
    private static async Task<JobInfo?> TryPeek(EngineHarness h, ulong id)
    {
        var result = await EngineHarness.Wait(h.Engine.PeekAsync(id));
        return result.IsOk ? result.Value : null;
    }

    [Fact]
    public async Task CommitFails_EveryCallerInBatchUnavailable_AndMemoryRolledBack()
    {
        var store = new FakeDurableStore();
        await using var h = await EngineHarness.StartAsync(store);
        var ready = await h.Put("t", key: "ready", priority: 5);
        var reserved = await h.Put("t", priority: 0, ttr: TimeSpan.FromSeconds(30));
        var delayed = await h.Put("t", delay: TimeSpan.FromMinutes(5), key: "delayed");
        var toBury = await h.Put("u");
        var r = await h.Reserve("t");
        Assert.Equal(reserved, r.Job.Id);
        var rb = await h.Reserve("u");
        Assert.True((await EngineHarness.Wait(h.Engine.BuryAsync(toBury, rb.Reservation))).IsOk);

        var ids = new[] { ready, reserved, delayed, toBury };
        var before = new List<JobInfo?>();
        foreach (var id in ids)
        {
            before.Add(await TryPeek(h, id));
        }

        var statsBefore = (await EngineHarness.Wait(h.Engine.ListTopicsAsync())).Value;
        var serverBefore = (await EngineHarness.Wait(h.Engine.GetServerStatsAsync())).Value;

        // Hold one commit so every following command lands in the next drained batch, which fails.
        var hold = store.HoldNextCommit();
        var blocker = h.Engine.PutAsync(new JobSpec { Topic = "blocker" }).AsTask();
        await Task.Delay(50); // lets the loop pick up the blocker; correctness does not depend on it
        var batch = new List<Task<EngineStatus>>
        {
            h.Engine.DeleteAsync(ready).AsTask(),
            h.Engine.ReleaseAsync(reserved, r.Reservation, 99, TimeSpan.FromSeconds(3)).AsTask(),
            h.Engine.KickJobAsync(delayed).AsTask(),
            h.Engine.DeleteByKeyAsync("t", "delayed").AsTask(),
            h.Engine.KickJobAsync(toBury).AsTask(),
        };
        var put = h.Engine.PutAsync(new JobSpec { Topic = "t", Key = "ready" }).AsTask();
        var newPut = h.Engine.PutAsync(new JobSpec { Topic = "t", Key = "fresh" }).AsTask();
        var putBatch = h.Engine.PutBatchAsync(new[] { new JobSpec { Topic = "v" }, new JobSpec { Topic = "v", Key = "x" } }).AsTask();
        var kick = h.Engine.KickAsync("u", 5).AsTask();
        var waiter = h.Engine.ReserveOneAsync(new[] { "v" }, TimeSpan.Zero).AsTask();
        await Task.Delay(50);
        store.Fail = true;
        hold.Release();

        Assert.Equal(ErrorCode.Unavailable, (await blocker.WaitAsync(EngineHarness.Bound)).Status.Code);
        foreach (var task in batch)
        {
            Assert.Equal(ErrorCode.Unavailable, (await task.WaitAsync(EngineHarness.Bound)).Code);
        }

        Assert.Equal(ErrorCode.Unavailable, (await put.WaitAsync(EngineHarness.Bound)).Status.Code);
        Assert.Equal(ErrorCode.Unavailable, (await newPut.WaitAsync(EngineHarness.Bound)).Status.Code);
        Assert.Equal(ErrorCode.Unavailable, (await putBatch.WaitAsync(EngineHarness.Bound)).Status.Code);
        Assert.Equal(ErrorCode.Unavailable, (await kick.WaitAsync(EngineHarness.Bound)).Status.Code);
        Assert.Null((await waiter.WaitAsync(EngineHarness.Bound)).Value); // a put that failed was never delivered

        for (var i = 0; i < ids.Length; i++)
        {
            Assert.Equal(before[i], await TryPeek(h, ids[i]));
        }

        var statsAfter = (await EngineHarness.Wait(h.Engine.ListTopicsAsync())).Value;
        Assert.Equal(statsBefore, statsAfter.Where(s => statsBefore.Any(b => b.Name == s.Name)).ToArray());
        Assert.All(statsAfter.Where(s => statsBefore.All(b => b.Name != s.Name)), s => Assert.Equal(0UL, s.Ready + s.TotalPuts));
        var serverAfter = (await EngineHarness.Wait(h.Engine.GetServerStatsAsync())).Value;
        Assert.Equal((serverBefore.Ready, serverBefore.Delayed, serverBefore.Reserved, serverBefore.Buried, serverBefore.TotalPuts, serverBefore.TotalDeletes),
            (serverAfter.Ready, serverAfter.Delayed, serverAfter.Reserved, serverAfter.Buried, serverAfter.TotalPuts, serverAfter.TotalDeletes));

        // The holder's reservation survived the failed release; storage back, everything works.
        store.Fail = false;
        Assert.True((await EngineHarness.Wait(h.Engine.DeleteAsync(reserved, r.Reservation))).IsOk);
        Assert.True((await EngineHarness.Wait(h.Engine.DeleteByKeyAsync("t", "delayed"))).IsOk);
        var fresh = await EngineHarness.Wait(h.Engine.PutAsync(new JobSpec { Topic = "t", Key = "ready" }));
        Assert.Equal(new PutResult(ready, false), fresh.Value);
        Assert.False(store.Jobs.ContainsKey(reserved));
    }

    /// <summary>A store call that throws instead of returning a failed task fails the batch the same way.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task CommitThrowsBeforeReturning_CallersUnavailable_AndMemoryRolledBack(int commitsInFlight)
    {
        var store = new FakeDurableStore { MaxCommitsInFlight = commitsInFlight };
        await using var h = await EngineHarness.StartAsync(store);
        var kept = await h.Put("t", key: "k");

        store.ThrowBeforeReturning = true;
        Assert.Equal(ErrorCode.Unavailable, (await EngineHarness.Wait(h.Engine.PutAsync(new JobSpec { Topic = "t" }))).Status.Code);
        Assert.Equal(ErrorCode.Unavailable, (await EngineHarness.Wait(h.Engine.DeleteAsync(kept))).Code);

        store.ThrowBeforeReturning = false;
        Assert.Null(await TryPeek(h, kept + 1));
        Assert.Equal(JobState.Ready, (await h.Peek(kept)).State);
        var stats = (await EngineHarness.Wait(h.Engine.GetServerStatsAsync())).Value;
        Assert.Equal((1UL, 0UL, 1UL), (stats.TotalPuts, stats.TotalDeletes, stats.Ready));
        Assert.Equal(new PutResult(kept, false), (await EngineHarness.Wait(h.Engine.PutAsync(new JobSpec { Topic = "t", Key = "k" }))).Value);
        Assert.True((await EngineHarness.Wait(h.Engine.DeleteAsync(kept))).IsOk);
        Assert.Empty(store.Jobs);
    }

    [Fact]
    public async Task Commit_ManyConcurrentPuts_GroupedIntoFewCommits()
    {
        var store = new FakeDurableStore();
        await using var h = await EngineHarness.StartAsync(store);
        var hold = store.HoldNextCommit();
        var first = h.Engine.PutAsync(new JobSpec { Topic = "t" }).AsTask();
        await Task.Delay(50);
        var rest = Enumerable.Range(0, 500).Select(_ => h.Engine.PutAsync(new JobSpec { Topic = "t" }).AsTask()).ToArray();
        await Task.Delay(50);
        hold.Release();
        await Task.WhenAll(rest).WaitAsync(EngineHarness.Bound);
        await first.WaitAsync(EngineHarness.Bound);

        Assert.Equal(501, store.Jobs.Count);
        Assert.True(store.Commits < 10, $"{store.Commits} commits for 501 puts");
        Assert.Contains(store.BatchSizes, size => size >= 100);
    }

    [Fact]
    public async Task Put_NotDeliveredBeforeCommit()
    {
        var store = new FakeDurableStore();
        await using var h = await EngineHarness.StartAsync(store);
        var waiter = h.Engine.ReserveOneAsync(new[] { "t" }, TimeSpan.FromMinutes(1)).AsTask();
        await h.Advance(TimeSpan.Zero);
        var hold = store.HoldNextCommit();
        var put = h.Engine.PutAsync(new JobSpec { Topic = "t" }).AsTask();
        await Task.Delay(100);
        Assert.False(waiter.IsCompleted);
        Assert.False(put.IsCompleted);
        hold.Release();
        var id = (await put.WaitAsync(EngineHarness.Bound)).Value.Id;
        Assert.Equal(id, (await waiter.WaitAsync(EngineHarness.Bound)).Value!.Value.Job.Id);
    }

    [Fact]
    public async Task Restart_RecoversJobsKeysAndIdHighWater()
    {
        var store = new FakeDurableStore();
        var clock = new ManualTimeProvider();
        ulong ready, reserved, delayedSoon, delayedLater, buriedOld, buriedNew, deleted;
        await using (var h = await EngineHarness.StartAsync(store, clock: clock))
        {
            ready = await h.Put("t", key: "k1", priority: 4);
            reserved = await h.Put("t", priority: 0, ttr: TimeSpan.FromSeconds(100));
            delayedSoon = await h.Put("t", delay: TimeSpan.FromSeconds(10));
            delayedLater = await h.Put("t", delay: TimeSpan.FromHours(1));
            buriedOld = await h.Put("b");
            buriedNew = await h.Put("b");
            deleted = await h.Put("t");
            Assert.Equal(reserved, (await h.Reserve("t")).Job.Id);
            var r1 = await h.Reserve("b");
            var r2 = await h.Reserve("b");
            Assert.True((await EngineHarness.Wait(h.Engine.BuryAsync(buriedOld, r1.Reservation))).IsOk);
            await h.Advance(TimeSpan.FromSeconds(1));
            Assert.True((await EngineHarness.Wait(h.Engine.BuryAsync(buriedNew, r2.Reservation))).IsOk);
            Assert.True((await EngineHarness.Wait(h.Engine.DeleteAsync(deleted))).IsOk);
        }

        clock.Advance(TimeSpan.FromSeconds(30));
        await using var after = await EngineHarness.StartAsync(store, clock: clock);
        Assert.Equal(JobState.Ready, (await after.Peek(ready)).State);
        Assert.Equal(JobState.Ready, (await after.Peek(reserved)).State);
        Assert.Equal(JobState.Ready, (await after.Peek(delayedSoon)).State);
        Assert.Equal(JobState.Delayed, (await after.Peek(delayedLater)).State);
        Assert.Equal(ErrorCode.NotFound, (await EngineHarness.Wait(after.Engine.PeekAsync(deleted))).Status.Code);
        Assert.Equal(buriedOld, (await EngineHarness.Wait(after.Engine.PeekNextAsync("b", JobState.Buried))).Value.Id);
        Assert.Equal(1u, (await after.Peek(buriedOld)).Buries);

        var dup = await EngineHarness.Wait(after.Engine.PutAsync(new JobSpec { Topic = "t", Key = "k1" }));
        Assert.Equal(new PutResult(ready, false), dup.Value);
        var fresh = await after.Put("t");
        Assert.True(fresh > deleted, "ids continue above the high-water mark");
        Assert.True((await EngineHarness.Wait(after.Engine.DeleteAsync(ready))).IsOk);
    }

    /// <summary>
    /// beanstalkd's binlog_read: a job released with a delay is still DELAYED after the restart and
    /// a blocked reserve gets it when the delay ends (recovery arms its timer again); a job deleted
    /// before the restart stays gone.
    /// </summary>
    [Fact]
    public async Task Restart_JobReleasedWithDelay_ReservableWhenTheDelayEnds_DeletedJobStaysGone()
    {
        var store = new FakeDurableStore();
        var clock = new ManualTimeProvider();
        ulong released, deleted;
        await using (var h = await EngineHarness.StartAsync(store, clock: clock))
        {
            released = await h.Put("test", ttr: TimeSpan.FromSeconds(120), body: "test");
            deleted = await h.Put("test", ttr: TimeSpan.FromSeconds(120), body: "tes1");
            var first = await h.Reserve("test");
            Assert.Equal(released, first.Job.Id);
            Assert.True((await EngineHarness.Wait(h.Engine.ReleaseAsync(released, first.Reservation, null, TimeSpan.FromSeconds(1)))).IsOk);
            var second = await h.Reserve("test");
            Assert.Equal(deleted, second.Job.Id);
            Assert.True((await EngineHarness.Wait(h.Engine.DeleteAsync(deleted, second.Reservation))).IsOk);
        }

        await using var after = await EngineHarness.StartAsync(store, clock: clock);
        var job = await after.Peek(released);
        Assert.Equal((JobState.Delayed, clock.GetUtcNow().AddSeconds(1), 1u, 1u), (job.State, job.ReadyAt, job.Reserves, job.Releases));
        Assert.Equal(ErrorCode.NotFound, (await EngineHarness.Wait(after.Engine.PeekAsync(deleted))).Status.Code);

        var pending = after.Engine.ReserveOneAsync(new[] { "test" }, TimeSpan.FromMinutes(1)).AsTask();
        await after.Advance(TimeSpan.Zero); // the wait is registered before the clock moves
        await after.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(pending.IsCompleted);
        after.Clock.Advance(TimeSpan.FromMilliseconds(1));

        var got = (await pending.WaitAsync(EngineHarness.Bound)).Value!.Value;
        Assert.Equal((released, "test"), (got.Job.Id, System.Text.Encoding.UTF8.GetString(got.Job.Body.Span)));
        Assert.True((await EngineHarness.Wait(after.Engine.DeleteAsync(released, got.Reservation))).IsOk);
        Assert.Equal(ErrorCode.NotFound, (await EngineHarness.Wait(after.Engine.DeleteAsync(deleted))).Code);
    }

    [Fact]
    public async Task MemoryStore_CommitsNothingAndStartsEmpty()
    {
        var store = new MemoryJobStore();
        Assert.False(((IJobStore)store).IsDurable);
        Assert.Empty((await store.RecoverAsync(CancellationToken.None).WaitAsync(EngineHarness.Bound)).Jobs);
        var batch = new MutationBatch { IdHighWater = 9 };
        Assert.True(store.CommitAsync(batch, CancellationToken.None).IsCompletedSuccessfully);
        Assert.Equal(9UL, store.IdHighWater);
    }
}
