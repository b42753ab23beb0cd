using Chronoq.Core.Tests.Support;

namespace Chronoq.Core.Tests.Engine;

/// <summary>
/// Delays run from each topic's delayed heap through one wheel timer per topic, set for the
/// topic's first delayed job: the timer must follow the first job as jobs come and go.
/// </summary>
public sealed class DelayTimerTests
{
    [Fact]
    public async Task FirstDelayedJobDeleted_NextOneReadyAtItsOwnTime()
    {
        await using var h = await EngineHarness.StartAsync();
        var first = await h.Put("t", delay: TimeSpan.FromSeconds(1));
        var second = await h.Put("t", delay: TimeSpan.FromSeconds(2));
        Assert.True((await EngineHarness.Wait(h.Engine.DeleteAsync(first))).IsOk);

        await h.Advance(TimeSpan.FromMilliseconds(1999));
        Assert.Equal(JobState.Delayed, (await h.Peek(second)).State);
        await h.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(JobState.Ready, (await h.Peek(second)).State);
    }

    [Fact]
    public async Task EarlierJobPutAfterALaterOne_ReadyAtItsTime_TheLaterOneStillWaits()
    {
        await using var h = await EngineHarness.StartAsync();
        var later = await h.Put("t", delay: TimeSpan.FromMinutes(5));
        var earlier = await h.Put("t", delay: TimeSpan.FromSeconds(1));

        await h.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(JobState.Ready, (await h.Peek(earlier)).State);
        Assert.Equal(JobState.Delayed, (await h.Peek(later)).State);
        await h.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(JobState.Ready, (await h.Peek(later)).State);
    }

    [Fact]
    public async Task FirstDelayedJobKicked_NextOneReadyAtItsOwnTime()
    {
        await using var h = await EngineHarness.StartAsync();
        var first = await h.Put("t", delay: TimeSpan.FromSeconds(1));
        var second = await h.Put("t", delay: TimeSpan.FromSeconds(3));
        Assert.True((await EngineHarness.Wait(h.Engine.KickJobAsync(first))).IsOk);

        await h.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(JobState.Delayed, (await h.Peek(second)).State);
        await h.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(JobState.Ready, (await h.Peek(second)).State);
    }

    [Fact]
    public async Task MoreJobsDueThanOneTurnTakes_AllBecomeReadyInLaterTurns()
    {
        await using var h = await EngineHarness.StartAsync(options: EngineOptions.Default with { MaxTimersPerTurn = 3 });
        for (var i = 0; i < 10; i++)
        {
            await h.Put("a", delay: TimeSpan.FromSeconds(1));
        }

        for (var i = 0; i < 5; i++)
        {
            await h.Put("b", delay: TimeSpan.FromMilliseconds(1000 + i));
        }

        var stillDelayed = await h.Put("b", delay: TimeSpan.FromSeconds(2));
        await h.Advance(TimeSpan.FromSeconds(1.5));

        var deadline = DateTime.UtcNow + EngineHarness.Bound;
        while ((await h.Stats("a")).Ready + (await h.Stats("b")).Ready < 15 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.Equal((10UL, 0UL), ((await h.Stats("a")).Ready, (await h.Stats("a")).Delayed));
        Assert.Equal((5UL, 1UL), ((await h.Stats("b")).Ready, (await h.Stats("b")).Delayed));
        Assert.Equal(JobState.Delayed, (await h.Peek(stillDelayed)).State);
    }
}
