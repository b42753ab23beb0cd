using System.Text;
using Chronoq.Core.Storage;
using Chronoq.Core.Tests.Support;

namespace Chronoq.Core.Tests.Engine;

/// <summary>Bodies on demand: past the budget, bodies live only in the store and are read back in batches.</summary>
public sealed class BodyCacheTests
{
    // Small enough that a few 64-byte bodies overflow it.
    private static readonly EngineOptions TinyBudget = EngineOptions.Default with { BodyCacheBytes = 100 };

    // Smaller than any body: every body is dropped once its put is committed.
    private static readonly EngineOptions NoBodiesKept = EngineOptions.Default with { BodyCacheBytes = 1 };

    private static byte[] BodyOf(int i) => Encoding.UTF8.GetBytes($"body-{i:D5}-" + new string((char)('a' + (i % 26)), 52));

    private static async Task<ulong[]> PutMany(EngineHarness h, int count, string topic = "t")
    {
        var specs = Enumerable.Range(0, count).Select(i => new JobSpec { Topic = topic, Body = BodyOf(i) }).ToArray();
        var result = await EngineHarness.Wait(h.Engine.PutBatchAsync(specs));
        Assert.True(result.IsOk, result.ToString());
        return result.Value.Select(p => p.Id).ToArray();
    }

    [Fact]
    public async Task BodyReadOfATurn_DoesNotHoldBackTheTurnsOtherAnswers()
    {
        var store = new FakeDurableStore();
        await using var h = await EngineHarness.StartAsync(store, NoBodiesKept);
        var dropped = (await PutMany(h, 1))[0];

        // A held commit lets a peek of the dropped job and a put queue up for one turn.
        var blocker = store.HoldNextCommit();
        var blockerPut = h.Engine.PutAsync(new JobSpec { Topic = "x" }).AsTask();
        await blocker.WaitUntilReachedAsync();
        var peek = h.Engine.PeekAsync(dropped).AsTask();
        var put = h.Engine.PutAsync(new JobSpec { Topic = "u", Body = BodyOf(1) }).AsTask();
        var read = store.HoldNextBodyRead();
        blocker.Release();
        await blockerPut.WaitAsync(EngineHarness.Bound);
        Assert.Equal(1, await read.WaitUntilReachedAsync());

        // The turn is blocked in the read: the put is answered already, the peek waits for its body.
        Assert.True((await put.WaitAsync(EngineHarness.Bound)).IsOk);
        Assert.False(peek.IsCompleted);
        read.Release();
        Assert.Equal(BodyOf(0), (await peek.WaitAsync(EngineHarness.Bound)).Value.Body.ToArray());
    }

    [Fact]
    public async Task UnderBudget_PeekAndStream_NeverReadTheStore()
    {
        var store = new FakeDurableStore();
        await using var h = await EngineHarness.StartAsync(store, EngineOptions.Default with { BodyCacheBytes = 1 << 20 });
        var ids = await PutMany(h, 50);

        for (var i = 0; i < ids.Length; i++)
        {
            Assert.Equal(BodyOf(i), (await h.Peek(ids[i])).Body.ToArray());
        }

        await using var stream = await h.OpenStream(50, "t");
        for (var i = 0; i < ids.Length; i++)
        {
            Assert.Equal(BodyOf(i), (await EngineHarness.Next(stream)).Job.Job.Body.ToArray());
        }

        Assert.Equal(0, store.BodyReads);
    }

    [Fact]
    public async Task TopicOf_DroppedBodies_AnswersTheTopicWithoutReadingTheStore()
    {
        var store = new FakeDurableStore();
        await using var h = await EngineHarness.StartAsync(store, NoBodiesKept);
        var ids = await PutMany(h, 5, "orders");

        foreach (var id in ids)
        {
            Assert.Equal("orders", await EngineHarness.Wait(h.Engine.TopicOfAsync(id)));
        }

        Assert.True((await EngineHarness.Wait(h.Engine.DeleteAsync(ids[0], 0))).IsOk);
        Assert.Null(await EngineHarness.Wait(h.Engine.TopicOfAsync(ids[0])));
        Assert.Null(await EngineHarness.Wait(h.Engine.TopicOfAsync(ids[^1] + 1000)));
        Assert.Equal(0, store.BodyReads);
    }

    [Fact]
    public async Task OverBudget_StreamDelivery_EveryBodyReadBackInOneBatchInOrder()
    {
        var store = new FakeDurableStore();
        await using var h = await EngineHarness.StartAsync(store, TinyBudget);
        var ids = await PutMany(h, 200);

        // Opening the stream is one engine turn that delivers all 200: one read for all of them.
        await using var stream = await h.OpenStream(200, "t");
        for (var i = 0; i < ids.Length; i++)
        {
            var job = (await EngineHarness.Next(stream)).Job.Job;
            Assert.Equal(ids[i], job.Id);
            Assert.Equal(BodyOf(i), job.Body.ToArray());
        }

        Assert.Equal(1, store.BodyReads);
        // The budget holds one 63-byte body (the oldest): every other one was dropped and read back.
        Assert.Equal(199, store.BodiesRead);
    }

    [Fact]
    public async Task OverBudget_PeekPeekNextReserveOneAndReserveJob_ReturnTheBodies()
    {
        var store = new FakeDurableStore();
        await using var h = await EngineHarness.StartAsync(store, TinyBudget);
        var ids = await PutMany(h, 6);
        var buriedBody = BodyOf(100);
        var toBury = (await EngineHarness.Wait(h.Engine.PutAsync(new JobSpec { Topic = "b", Body = buriedBody }))).Value.Id;
        var r = await h.Reserve("b");
        Assert.Equal(buriedBody, r.Job.Body.ToArray());
        Assert.True((await EngineHarness.Wait(h.Engine.BuryAsync(toBury, r.Reservation))).IsOk);

        for (var i = 0; i < ids.Length; i++)
        {
            Assert.Equal(BodyOf(i), (await h.Peek(ids[i])).Body.ToArray());
        }

        Assert.Equal(BodyOf(0), (await EngineHarness.Wait(h.Engine.PeekNextAsync("t", JobState.Ready))).Value.Body.ToArray());
        Assert.Equal(buriedBody, (await EngineHarness.Wait(h.Engine.PeekNextAsync("b", JobState.Buried))).Value.Body.ToArray());
        Assert.Equal(BodyOf(0), (await h.Reserve("t")).Job.Body.ToArray());
        var reservedById = await EngineHarness.Wait(h.Engine.ReserveJobAsync(ids[4]));
        Assert.Equal(BodyOf(4), reservedById.Value.Job.Body.ToArray());
        var kicked = await EngineHarness.Wait(h.Engine.ReserveJobAsync(toBury));
        Assert.Equal(buriedBody, kicked.Value.Job.Body.ToArray());
        Assert.True(store.BodyReads > 0, "with a 100-byte budget the bodies must have been dropped and read back");
    }

    [Fact]
    public async Task OverBudget_ReleasedJob_KeepsItsStoredBodyAndIsReadBackAgain()
    {
        var store = new FakeDurableStore();
        await using var h = await EngineHarness.StartAsync(store, TinyBudget);
        var ids = await PutMany(h, 4);
        var first = await h.Reserve("t");
        Assert.True((await EngineHarness.Wait(h.Engine.ReleaseAsync(first.Job.Id, first.Reservation, priority: 9))).IsOk);
        var bury = await h.Reserve("t");
        Assert.True((await EngineHarness.Wait(h.Engine.BuryAsync(bury.Job.Id, bury.Reservation))).IsOk);
        Assert.Equal(1u, (await EngineHarness.Wait(h.Engine.KickAsync("t", 1))).Value);

        // The release, bury and kick were persisted without their bodies; the stored ones stayed.
        for (var i = 0; i < ids.Length; i++)
        {
            Assert.Equal(BodyOf(i), store.Jobs[ids[i]].Body.ToArray());
        }

        var seen = new Dictionary<ulong, byte[]>();
        for (var i = 0; i < ids.Length; i++)
        {
            var job = (await h.Reserve("t")).Job;
            seen[job.Id] = job.Body.ToArray();
        }

        for (var i = 0; i < ids.Length; i++)
        {
            Assert.Equal(BodyOf(i), seen[ids[i]]);
        }
    }

    [Fact]
    public async Task ReadFails_ReserveOneAndPeek_UnavailableAndJobStaysReadyUnreserved()
    {
        var store = new FakeDurableStore();
        await using var h = await EngineHarness.StartAsync(store, NoBodiesKept);
        var ids = await PutMany(h, 3);
        store.FailReads = true;

        var reserve = await EngineHarness.Wait(h.Engine.ReserveOneAsync(["t"], TimeSpan.Zero));
        Assert.Equal(ErrorCode.Unavailable, reserve.Status.Code);
        var peek = await EngineHarness.Wait(h.Engine.PeekAsync(ids[1]));
        Assert.Equal(ErrorCode.Unavailable, peek.Status.Code);
        var stats = await h.Stats("t");
        Assert.Equal((3UL, 0UL), (stats.Ready, stats.Reserved));

        store.FailReads = false;
        var job = (await h.Reserve("t")).Job;
        Assert.Equal(ids[0], job.Id);
        Assert.Equal(BodyOf(0), job.Body.ToArray());
        Assert.Equal(1u, job.Reserves); // the failed attempt did not count
    }

    [Fact]
    public async Task ReadFails_ReserveJobOfBuriedJob_UnavailableAndStaysBuried()
    {
        var store = new FakeDurableStore();
        await using var h = await EngineHarness.StartAsync(store, NoBodiesKept);
        var ids = await PutMany(h, 3);
        var r = await h.Reserve("t");
        Assert.True((await EngineHarness.Wait(h.Engine.BuryAsync(r.Job.Id, r.Reservation))).IsOk);
        store.FailReads = true;

        var reserved = await EngineHarness.Wait(h.Engine.ReserveJobAsync(ids[0]));
        Assert.Equal(ErrorCode.Unavailable, reserved.Status.Code);
        store.FailReads = false;
        var info = await h.Peek(ids[0]);
        Assert.Equal(JobState.Buried, info.State);
        Assert.Equal(1u, info.Reserves);
        Assert.Equal(BodyOf(0), info.Body.ToArray());
    }

    [Fact]
    public async Task ReadFails_Stream_EndsUnavailableAndItsJobsAreReadyAgain()
    {
        var store = new FakeDurableStore();
        await using var h = await EngineHarness.StartAsync(store, NoBodiesKept);
        await PutMany(h, 10);
        store.FailReads = true;

        await using var stream = await h.OpenStream(5, "t");
        var ended = await Assert.ThrowsAsync<StorageUnavailableException>(
            async () => await stream.Events.WaitToReadAsync().AsTask().WaitAsync(EngineHarness.Bound));
        Assert.Contains("body", ended.Message, StringComparison.Ordinal);
        var stats = await h.Stats("t");
        Assert.Equal((10UL, 0UL), (stats.Ready, stats.Reserved));

        store.FailReads = false;
        Assert.Equal(1u, (await h.Reserve("t")).Job.Reserves);
    }

    [Fact]
    public async Task Recovery_BodiesPastStoreBudget_ReadBackOnDelivery()
    {
        var store = new FakeDurableStore();
        ulong[] ids;
        await using (var first = await EngineHarness.StartAsync(store))
        {
            ids = await PutMany(first, 20);
        }

        store.RecoveryBodyBytes = 200;
        await using var h = await EngineHarness.StartAsync(store, TinyBudget);
        await using var stream = await h.OpenStream(20, "t");
        for (var i = 0; i < ids.Length; i++)
        {
            Assert.Equal(BodyOf(i), (await EngineHarness.Next(stream)).Job.Job.Body.ToArray());
        }

        Assert.Equal(1, store.BodyReads);
    }

    [Fact]
    public async Task MemoryStore_WithBudget_KeepsEveryBody()
    {
        // The memory store has no copy to read back: its bodies must never be dropped.
        await using var h = await EngineHarness.StartAsync(new MemoryJobStore(), TinyBudget);
        var ids = await PutMany(h, 20);
        for (var i = 0; i < ids.Length; i++)
        {
            Assert.Equal(BodyOf(i), (await h.Reserve("t")).Job.Body.ToArray());
        }
    }

    [Fact]
    public async Task Stream_BodyInMemoryBehindDroppedOne_DeliveredInOrder()
    {
        var store = new FakeDurableStore();
        // Room for one 63-byte body. The later put is the newest, so its body is the one dropped,
        // yet its priority puts it first: the held job must wait behind it on the stream.
        await using var h = await EngineHarness.StartAsync(store, EngineOptions.Default with { BodyCacheBytes = 64 });
        var later = (await EngineHarness.Wait(h.Engine.PutAsync(new JobSpec { Topic = "t", Body = BodyOf(0), Priority = 5 }))).Value.Id;
        var urgent = (await EngineHarness.Wait(h.Engine.PutAsync(new JobSpec { Topic = "t", Body = BodyOf(1), Priority = 0 }))).Value.Id;
        await using var stream = await h.OpenStream(2, "t");
        var first = (await EngineHarness.Next(stream)).Job.Job;
        var second = (await EngineHarness.Next(stream)).Job.Job;

        Assert.Equal((urgent, later), (first.Id, second.Id));
        Assert.Equal(BodyOf(1), first.Body.ToArray());
        Assert.Equal(BodyOf(0), second.Body.ToArray());
        Assert.Equal((1, 1), (store.BodyReads, store.BodiesRead));
    }
}
