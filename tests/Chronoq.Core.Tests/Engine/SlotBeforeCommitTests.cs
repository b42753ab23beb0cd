using Chronoq.Core.Tests.Support;

namespace Chronoq.Core.Tests.Engine;

/// <summary>
/// A stream's slot freed by a delete, release or bury takes its next job while that change
/// commits, not one commit later; what it takes must be durable already, and a change whose commit
/// fails gives its job back to the stream. Only a delivery that reaches its stream at once goes out
/// before the commit: anything answered after it (a ReserveOne, a body read back) waits for it, so
/// that a slow commit does not eat the job's TTR.
/// </summary>
public sealed class SlotBeforeCommitTests
{
    private static readonly EngineOptions NoBodiesKept = EngineOptions.Default with { BodyCacheBytes = 1 };

    /// <summary>
    /// Opens a prefetch-1 stream on "t", checks that it is given <paramref name="first"/>, and starts
    /// deleting that job with its commit held: on return the engine is blocked inside that commit.
    /// </summary>
    private static async Task<(ReservationStream Stream, ReservedJob First, StoreHold Hold, Task<EngineStatus> Delete)> DeleteFirstWithCommitHeld(
        EngineHarness h, FakeDurableStore store, ulong first)
    {
        var stream = await h.OpenStream(1, "t");
        var reserved = (await EngineHarness.Next(stream)).Job;
        Assert.Equal(first, reserved.Job.Id);
        var hold = store.HoldNextCommit();
        var delete = h.Engine.DeleteAsync(first, reserved.Reservation).AsTask();
        await hold.WaitUntilReachedAsync();
        return (stream, reserved, hold, delete);
    }

    [Theory]
    [InlineData("delete")]
    [InlineData("release")]
    [InlineData("bury")]
    public async Task SlotFreedInABatch_TakesTheNextJobWhileTheBatchCommits(string freeBy)
    {
        var store = new FakeDurableStore();
        await using var h = await EngineHarness.StartAsync(store);
        var a = await h.Put("t", priority: 1);
        var b = await h.Put("t", priority: 1);
        await using var stream = await h.OpenStream(1, "t");
        var first = (await EngineHarness.Next(stream)).Job;
        Assert.Equal(a, first.Job.Id);

        var hold = store.HoldNextCommit();
        var change = freeBy switch
        {
            "delete" => h.Engine.DeleteAsync(a, first.Reservation).AsTask(),
            "release" => h.Engine.ReleaseAsync(a, first.Reservation, 5, TimeSpan.Zero).AsTask(),
            _ => h.Engine.BuryAsync(a, first.Reservation).AsTask(),
        };
        await hold.WaitUntilReachedAsync();

        // The commit is still held, yet the stream has its next job.
        Assert.Equal(b, (await EngineHarness.Next(stream)).Job.Job.Id);
        Assert.False(change.IsCompleted);

        hold.Release();
        Assert.True((await change.WaitAsync(EngineHarness.Bound)).IsOk);
        Assert.Equal(1UL, (await h.Stats("t")).Reserved);
    }

    [Fact]
    public async Task SlotFreedInTheBatchOfAMoreUrgentPut_GetsThatJobOnlyAfterItsCommit()
    {
        var store = new FakeDurableStore();
        await using var h = await EngineHarness.StartAsync(store);
        var a = await h.Put("t", priority: 10);
        await h.Put("t", priority: 10);
        await using var stream = await h.OpenStream(1, "t");
        var first = (await EngineHarness.Next(stream)).Job;

        // A held commit lets the put and the delete queue up, so that they land in one batch.
        var blocker = store.HoldNextCommit();
        var blockerPut = h.Engine.PutAsync(new JobSpec { Topic = "elsewhere" }).AsTask();
        await blocker.WaitUntilReachedAsync();
        var urgentPut = h.Engine.PutAsync(new JobSpec { Topic = "t", Priority = 0 }).AsTask();
        var delete = h.Engine.DeleteAsync(a, first.Reservation).AsTask();

        var hold = store.HoldNextCommit();
        blocker.Release();
        await blockerPut.WaitAsync(EngineHarness.Bound);
        Assert.Equal(2, await hold.WaitUntilReachedAsync()); // the put and the delete, in one batch

        // The most urgent ready job is the uncommitted put: nothing may go out before the commit,
        // neither that job nor the older, less urgent one in its place.
        Assert.False(stream.Events.TryRead(out _));

        hold.Release();
        var urgent = (await urgentPut.WaitAsync(EngineHarness.Bound)).Value.Id;
        Assert.True((await delete.WaitAsync(EngineHarness.Bound)).IsOk);
        Assert.Equal(urgent, (await EngineHarness.Next(stream)).Job.Job.Id);
    }

    [Fact]
    public async Task DeleteWhoseCommitFails_JobHeldAgainBesideTheOneAlreadyDelivered()
    {
        var store = new FakeDurableStore();
        await using var h = await EngineHarness.StartAsync(store);
        var a = await h.Put("t");
        var b = await h.Put("t");
        var c = await h.Put("t");
        var (stream, first, hold, delete) = await DeleteFirstWithCommitHeld(h, store, a);
        await using var streamScope = stream;
        var second = (await EngineHarness.Next(stream)).Job;
        Assert.Equal(b, second.Job.Id);
        store.Fail = true;
        hold.Release();
        Assert.Equal(ErrorCode.Unavailable, (await delete.WaitAsync(EngineHarness.Bound)).Code);
        store.Fail = false;

        // The failed delete left a reserved through the stream with its token, next to b: the
        // stream holds one more than its prefetch until one of them goes.
        Assert.Equal(JobState.Reserved, (await h.Peek(a)).State);
        Assert.Equal(2UL, (await h.Stats("t")).Reserved);
        Assert.True((await EngineHarness.Wait(h.Engine.DeleteAsync(a, first.Reservation))).IsOk);
        await h.Advance(TimeSpan.Zero);
        Assert.False(stream.Events.TryRead(out _));

        Assert.True((await EngineHarness.Wait(h.Engine.DeleteAsync(b, second.Reservation))).IsOk);
        Assert.Equal(c, (await EngineHarness.Next(stream)).Job.Job.Id);
        await h.Advance(TimeSpan.Zero);
        Assert.False(stream.Events.TryRead(out _));
        Assert.Equal(1UL, (await h.Stats("t")).Reserved);
        Assert.False(store.Jobs.ContainsKey(a));
    }

    [Fact]
    public async Task DeleteBatchWhoseCommitFails_StreamHoldsAtMostTwicePrefetch_ThenSettlesBack()
    {
        var store = new FakeDurableStore();
        await using var h = await EngineHarness.StartAsync(store);
        var ids = new List<ulong>();
        for (var i = 0; i < 6; i++)
        {
            ids.Add(await h.Put("t"));
        }

        await using var stream = await h.OpenStream(2, "t");
        var held = new List<ReservedJob> { (await EngineHarness.Next(stream)).Job, (await EngineHarness.Next(stream)).Job };
        var hold = store.HoldNextCommit();
        var delete = h.Engine.DeleteBatchAsync(held.Select(j => new DeleteTarget(j.Job.Id, j.Reservation)).ToArray()).AsTask();
        await hold.WaitUntilReachedAsync();
        held.Add((await EngineHarness.Next(stream)).Job);
        held.Add((await EngineHarness.Next(stream)).Job);
        store.Fail = true;
        hold.Release();
        Assert.Equal(ErrorCode.Unavailable, (await delete.WaitAsync(EngineHarness.Bound)).Status.Code);
        store.Fail = false;

        Assert.Equal(ids.Take(4), held.Select(j => j.Job.Id));
        Assert.Equal(4UL, (await h.Stats("t")).Reserved);
        foreach (var job in held)
        {
            Assert.True((await EngineHarness.Wait(h.Engine.DeleteAsync(job.Job.Id, job.Reservation))).IsOk);
        }

        Assert.Equal(ids[4], (await EngineHarness.Next(stream)).Job.Job.Id);
        Assert.Equal(ids[5], (await EngineHarness.Next(stream)).Job.Job.Id);
        Assert.Equal(2UL, (await h.Stats("t")).Reserved);
    }

    [Fact]
    public async Task JobWhoseBodyMustBeReadBack_GoesOutAfterTheCommit_WithItsTtrFromThen()
    {
        var store = new FakeDurableStore();
        await using var h = await EngineHarness.StartAsync(store, NoBodiesKept);
        var a = await h.Put("t", priority: 1, body: "more than the budget");
        var b = await h.Put("t", priority: 1, ttr: TimeSpan.FromSeconds(2), body: "more than the budget");
        var (stream, _, hold, delete) = await DeleteFirstWithCommitHeld(h, store, a);
        await using var streamScope = stream;
        h.Clock.Advance(TimeSpan.FromSeconds(3)); // a commit slower than b's TTR
        hold.Release();
        Assert.True((await delete.WaitAsync(EngineHarness.Bound)).IsOk);

        // b was reserved after the commit: one delivery, its token valid, no deadline notice ahead of it.
        var next = await EngineHarness.Next(stream);
        Assert.Equal(ReservationEventKind.Job, next.Kind);
        Assert.Equal(b, next.Job.Job.Id);
        Assert.True(next.Job.Deadline > h.Now);
        Assert.True((await EngineHarness.Wait(h.Engine.TouchAsync(b, next.Job.Reservation))).IsOk);
        await h.Advance(TimeSpan.Zero);
        Assert.False(stream.Events.TryRead(out _));
    }

    [Fact]
    public async Task ReserveOneWaiter_IsServedAfterTheCommit_WithItsTtrFromThen()
    {
        var store = new FakeDurableStore();
        await using var h = await EngineHarness.StartAsync(store, NoBodiesKept);
        var b = await h.Put("t", ttr: TimeSpan.FromSeconds(1), body: "more than the budget");

        // Turn 1 blocks in its commit while a put, a stream and a ReserveOne queue up behind it.
        var hold1 = store.HoldNextCommit();
        var blockerPut = h.Engine.PutAsync(new JobSpec { Topic = "x" }).AsTask();
        await hold1.WaitUntilReachedAsync();
        var secondPut = h.Engine.PutAsync(new JobSpec { Topic = "y" }).AsTask();
        var streamOpen = h.Engine.OpenReservationStreamAsync(new[] { "t" }, 1).AsTask();
        var waiter = h.Engine.ReserveOneAsync(new[] { "t" }, TimeSpan.FromMinutes(5)).AsTask();

        // Turn 2 commits the put, then gives b to the stream; b's body read back fails, so the stream
        // ends and b is ready again, untouched by any batch, while the ReserveOne still waits.
        store.FailReads = true;
        var hold2 = store.HoldNextCommit();
        hold1.Release();
        await hold2.WaitUntilReachedAsync();

        // Turn 3 has a commit: b is ready for the waiter before it, but the waiter is served after it.
        var thirdPut = h.Engine.PutAsync(new JobSpec { Topic = "z" }).AsTask();
        var hold3 = store.HoldNextCommit();
        hold2.Release();
        await hold3.WaitUntilReachedAsync();
        store.FailReads = false;
        h.Clock.Advance(TimeSpan.FromSeconds(2)); // a commit slower than b's TTR
        hold3.Release();

        await Task.WhenAll(blockerPut, secondPut, thirdPut).WaitAsync(EngineHarness.Bound);
        // The stream ended with its failed read: the scenario above really ran.
        var stream = (await streamOpen.WaitAsync(EngineHarness.Bound)).Value;
        await stream.Events.Completion.ContinueWith(static _ => { }, TaskScheduler.Default).WaitAsync(EngineHarness.Bound);
        var reserved = (await waiter.WaitAsync(EngineHarness.Bound)).Value;
        Assert.NotNull(reserved);
        Assert.Equal(b, reserved.Value.Job.Id);
        Assert.True(reserved.Value.Deadline > h.Now);
        Assert.True((await EngineHarness.Wait(h.Engine.TouchAsync(b, reserved.Value.Reservation))).IsOk);
    }
}
