using Chronoq.Core.Tests.Support;

namespace Chronoq.Core.Tests.Memory;

/// <summary>Live heap bytes for the retained-memory tests, each measured on an engine of its own.</summary>
internal static class HeapMeasurement
{
    private const int MaxRounds = 100;
    private const int CallersPerRound = 64;

    /// <summary>
    /// Runs <paramref name="measure"/> on the engine <paramref name="start"/> makes, disposes it, and
    /// returns once that engine is garbage. A thread keeps a spare command of the engine it last
    /// called (EngineCore.Rent), and with it the whole engine, until it calls another; so the pool
    /// threads that ran this test's callers would hand its heap over to the next test's
    /// measurement, which then saw the million-job engine's 64 MB vanish between its "before" and
    /// "after" and read a negative size (on the CI, every test assembly at once on 2 cores). Here
    /// the pool's threads call a small engine instead until the measured one is collected; 10 s at
    /// most, after which the test fails as on a leak.
    /// </summary>
    public static async Task<T> OnEngineOfItsOwnAsync<T>(Func<Task<EngineHarness>> start, Func<EngineHarness, Task<T>> measure)
    {
        var (result, core) = await MeasureAsync(start, measure);
        await using var small = await EngineHarness.StartAsync();
        for (var round = 0; round < MaxRounds && core.IsAlive; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, CallersPerRound).Select(_ => Task.Run(() => small.Put("spares"))));
            GC.Collect();
            GC.WaitForPendingFinalizers();
            await Task.Delay(50);
        }

        Assert.False(core.IsAlive, "a stopped engine was still reachable 10 s later");
        return result;
    }

    /// <summary>The live heap after a full collection.</summary>
    public static long LiveBytes() => GC.GetTotalMemory(forceFullCollection: true);

    // A method of its own, so no local of the caller's async state keeps the harness reachable.
    private static async Task<(T Result, WeakReference Core)> MeasureAsync<T>(Func<Task<EngineHarness>> start, Func<EngineHarness, Task<T>> measure)
    {
        await using var harness = await start();
        return (await measure(harness), new WeakReference(harness.Engine.Core));
    }
}
