using System.Diagnostics;
using Chronoq.Core.Storage;
using Chronoq.Core.Tests.Support;

namespace Chronoq.Core.Tests.Engine;

/// <summary>
/// With <see cref="TimeProvider.System"/> the engine thread waits for the wheel's next expiration
/// itself instead of through a timer; the other tests run on a manual clock and use the timer path.
/// </summary>
public sealed class SystemClockTests
{
    [Fact]
    public async Task DelayedJob_DeliveredToWaitingReserveOne_NotBeforeItsDelay()
    {
        await using var engine = await ChronoqEngine.StartAsync(EngineOptions.Default, new MemoryJobStore(), TimeProvider.System).WaitAsync(EngineHarness.Bound);
        var watch = Stopwatch.StartNew();
        var id = (await EngineHarness.Wait(engine.PutAsync(new JobSpec { Topic = "t", Delay = TimeSpan.FromMilliseconds(150) }))).Value.Id;

        var reserved = await EngineHarness.Wait(engine.ReserveOneAsync(new[] { "t" }, TimeSpan.FromSeconds(10)));

        Assert.Equal(id, reserved.Value!.Value.Job.Id);
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(149), $"delivered after {watch.Elapsed.TotalMilliseconds} ms");
        Assert.True(DateTimeOffset.UtcNow >= reserved.Value.Value.Job.ReadyAt);
    }

    [Fact]
    public async Task ReserveOne_NothingReady_TimesOutAfterItsTimeout_AndLaterTimersStillFire()
    {
        await using var engine = await ChronoqEngine.StartAsync(EngineOptions.Default, new MemoryJobStore(), TimeProvider.System).WaitAsync(EngineHarness.Bound);
        var watch = Stopwatch.StartNew();

        var nothing = await EngineHarness.Wait(engine.ReserveOneAsync(new[] { "t" }, TimeSpan.FromMilliseconds(120)));

        Assert.Null(nothing.Value);
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(119), $"timed out after {watch.Elapsed.TotalMilliseconds} ms");

        // The loop slept with nothing scheduled in between; a new delay still wakes it.
        await EngineHarness.Wait(engine.PutAsync(new JobSpec { Topic = "t", Delay = TimeSpan.FromMilliseconds(50) }));
        Assert.NotNull((await EngineHarness.Wait(engine.ReserveOneAsync(new[] { "t" }, TimeSpan.FromSeconds(10)))).Value);
    }
}
