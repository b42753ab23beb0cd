using Chronoq.Core.Tests.Support;

namespace Chronoq.Core.Tests.Engine;

/// <summary>The bounded command queue: EngineOptions.MaxQueuedCommands.</summary>
public sealed class BackpressureTests
{
    [Fact]
    public async Task QueueFull_FurtherCommandsResourceExhaustedNamingTheSetting_QueuedOnesCompleteOnceTheLoopCatchesUp()
    {
        var store = new FakeDurableStore();
        await using var h = await EngineHarness.StartAsync(store, EngineOptions.Default with { MaxQueuedCommands = 3 });
        var held = await h.Put("s");
        await using var stream = (await EngineHarness.Wait(h.Engine.OpenReservationStreamAsync(new[] { "s" }))).Value;
        Assert.Equal(held, (await EngineHarness.Next(stream)).Job.Job.Id);

        // A commit that does not return blocks the loop, so nothing more leaves the queue.
        var hold = store.HoldNextCommit();
        var blocker = h.Engine.PutAsync(new JobSpec { Topic = "t" }).AsTask();
        await hold.WaitUntilReachedAsync();
        var queued = new[]
        {
            h.Engine.PutAsync(new JobSpec { Topic = "t" }).AsTask(),
            h.Engine.PutAsync(new JobSpec { Topic = "t" }).AsTask(),
            h.Engine.PutAsync(new JobSpec { Topic = "t" }).AsTask(),
        };

        // The queue is full: refused at once, whatever the command, without waiting for the loop.
        var refusedPut = h.Engine.PutAsync(new JobSpec { Topic = "t" });
        Assert.True(refusedPut.IsCompleted);
        var refused = await refusedPut;
        Assert.Equal(ErrorCode.ResourceExhausted, refused.Status.Code);
        Assert.Contains("MaxQueuedCommands", refused.Status.Message, StringComparison.Ordinal);
        var refusedPeek = await h.Engine.PeekAsync(held).AsTask().WaitAsync(EngineHarness.Bound);
        Assert.Equal(ErrorCode.ResourceExhausted, refusedPeek.Status.Code);

        // Closing a stream is never refused: it gives its jobs back.
        var closing = stream.DisposeAsync().AsTask();
        Assert.All(queued, put => Assert.False(put.IsCompleted));

        hold.Release();
        Assert.True((await blocker.WaitAsync(EngineHarness.Bound)).IsOk);
        foreach (var put in queued)
        {
            Assert.True((await put.WaitAsync(EngineHarness.Bound)).IsOk);
        }

        await closing.WaitAsync(EngineHarness.Bound);
        Assert.Equal(JobState.Ready, (await h.Peek(held)).State);

        // The places are free again.
        for (var i = 0; i < 5; i++)
        {
            await h.Put("t");
        }

        Assert.Equal(4UL + 5, (await h.Stats("t")).TotalPuts);
    }

    [Fact]
    public void MaxQueuedCommands_NotPositive_RejectedNamingTheSetting()
    {
        var failure = Assert.Throws<ArgumentException>(() => (EngineOptions.Default with { MaxQueuedCommands = 0 }).Validate());
        Assert.Equal(nameof(EngineOptions.MaxQueuedCommands), failure.ParamName);
    }
}
