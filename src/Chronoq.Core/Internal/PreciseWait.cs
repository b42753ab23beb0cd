using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Chronoq.Core.Internal;

/// <summary>
/// A timed wait on a semaphore precise to a fraction of a millisecond. .NET's waits and sleeps
/// count whole milliseconds: the engine, waiting for a timer due 0.3 ms from now, waited 1 ms, so
/// every delayed job fired 0.5 ms late on average (docs/benchmarks.md, "Lateness of delayed
/// jobs"). This waits on the semaphore for the whole milliseconds, then sleeps the rest in short
/// slices, looking for a release between them.
/// </summary>
internal static class PreciseWait
{
    // A release during the sub-millisecond rest is seen within this long.
    private const double SliceMs = 0.2;

    /// <summary>True when sub-millisecond sleeps are available (Linux, 64-bit, glibc); else waits round up.</summary>
    public static bool IsPrecise { get; } = ProbeNanoSleep();

    /// <summary>
    /// Waits until <paramref name="semaphore"/> is released (taking the release; true) or
    /// <paramref name="timeoutMs"/> has passed (false), never returning false before then.
    /// </summary>
    public static bool Wait(SemaphoreSlim semaphore, double timeoutMs)
    {
        if (!IsPrecise)
        {
            // Round up: waking a little late costs less than an extra turn for waking early.
            return semaphore.Wait((int)Math.Clamp(Math.Ceiling(timeoutMs), 0, int.MaxValue));
        }

        var start = Stopwatch.GetTimestamp();
        var whole = (int)Math.Clamp(timeoutMs, 0, int.MaxValue);
        if (semaphore.Wait(whole))
        {
            return true;
        }

        while (true)
        {
            var leftMs = timeoutMs - Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (leftMs <= 0 || semaphore.CurrentCount > 0)
            {
                return semaphore.Wait(0);
            }

            NanoSleep(Math.Min(leftMs, SliceMs));
        }
    }

    private static void NanoSleep(double milliseconds)
    {
        var request = new TimeSpec { Seconds = 0, Nanoseconds = (long)(milliseconds * 1_000_000) };
        _ = NanoSleep(in request, IntPtr.Zero);
    }

    private static bool ProbeNanoSleep()
    {
        if (!OperatingSystem.IsLinux() || IntPtr.Size != 8)
        {
            return false;
        }

        try
        {
            NanoSleep(0);
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc.so.6", EntryPoint = "nanosleep")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int NanoSleep(in TimeSpec request, IntPtr remaining);
}
