namespace Chronoq.Core.Tests.Memory;

/// <summary>Live heap bytes for the retained-memory tests.</summary>
internal static class HeapMeasurement
{
    private const long SettledWithinBytes = 512 * 1024;
    private const int MaxLooks = 40;

    /// <summary>
    /// The live heap once it has stopped shrinking: objects an earlier test's engine released a
    /// moment ago (its thread winding down, pooled commands) otherwise count in a "before" figure
    /// and vanish from the "after" one; a 50 MiB measurement once read -9 MiB that way. Bounded:
    /// after two seconds the last reading stands.
    /// </summary>
    public static async Task<long> SettledLiveBytesAsync()
    {
        var previous = GC.GetTotalMemory(forceFullCollection: true);
        for (var look = 0; look < MaxLooks; look++)
        {
            await Task.Delay(50);
            GC.WaitForPendingFinalizers();
            var current = GC.GetTotalMemory(forceFullCollection: true);
            if (Math.Abs(current - previous) < SettledWithinBytes)
            {
                return current;
            }

            previous = current;
        }

        return previous;
    }
}
