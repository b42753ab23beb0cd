using System.Diagnostics;
using Chronoq.Core.Internal;

namespace Chronoq.Core.Tests.Engine;

/// <summary>The engine thread's timed wait: never ends early, takes a release at once, wakes on one that comes later.</summary>
public sealed class PreciseWaitTests
{
    [Fact]
    public void OnLinux_SubMillisecondSleepsAreAvailable()
    {
        // The engine's precise wake-up depends on it; elsewhere waits round up to whole milliseconds.
        Assert.Equal(OperatingSystem.IsLinux() && Environment.Is64BitProcess, PreciseWait.IsPrecise);
    }

    [Fact]
    public void Wait_AlreadyReleased_ReturnsTrueAtOnceAndTakesTheRelease()
    {
        using var semaphore = new SemaphoreSlim(1);

        Assert.True(PreciseWait.Wait(semaphore, 0.5));
        Assert.Equal(0, semaphore.CurrentCount);
    }

    [Theory]
    [InlineData(0.3)]
    [InlineData(1.0)]
    [InlineData(2.7)]
    [InlineData(30.0)]
    public void Wait_NotReleased_FalseNotBeforeTheTimeout(double timeoutMs)
    {
        using var semaphore = new SemaphoreSlim(0);
        var watch = Stopwatch.StartNew();

        Assert.False(PreciseWait.Wait(semaphore, timeoutMs));
        Assert.True(watch.Elapsed.TotalMilliseconds >= timeoutMs, $"returned after {watch.Elapsed.TotalMilliseconds:F3} ms");
    }

    [Fact]
    public async Task Wait_ReleasedFromAnotherThread_WakesLongBeforeTheTimeout()
    {
        using var semaphore = new SemaphoreSlim(0);
        var watch = Stopwatch.StartNew();
        var waiting = Task.Factory.StartNew(() => PreciseWait.Wait(semaphore, 60_000.0), TaskCreationOptions.LongRunning);
        await Task.Delay(20);

        semaphore.Release();

        Assert.True(await waiting.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30));
    }
}
