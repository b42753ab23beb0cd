using Chronoq.Core.Tests.Support;

namespace Chronoq.Core.Tests.Engine;

/// <summary>
/// A stream's slot freed by a delete, release or bury takes its next job while that change
/// commits, not one commit later; what it takes must be durable already, and a change whose commit
/// fails gives its job back to the stream.
/// </summary>
public sealed class SlotBeforeCommitTests
{
    private static async Task<ReservationStream> Open(EngineHarness h, uint prefetch, params string[] topics)
    {
        var result = await EngineHarness.Wait(h.Engine.OpenReservationStreamAsync(topics, prefetch));
        Assert.True(result.IsOk, result.ToString());
        return result.Value;
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
        await using var stream = await Open(h, 1, "t");
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
        await using var stream = await Open(h, 1, "t");
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
        await using var stream = await Open(h, 1, "t");
        var first = (await EngineHarness.Next(stream)).Job;
        Assert.Equal(a, first.Job.Id);

        var hold = store.HoldNextCommit();
        var delete = h.Engine.DeleteAsync(a, first.Reservation).AsTask();
        await hold.WaitUntilReachedAsync();
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
}
