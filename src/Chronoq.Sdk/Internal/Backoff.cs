namespace Chronoq.Sdk.Internal;

/// <summary>
/// Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And
/// Jitter"): the n-th wait is uniform in [0, min(max, initial·2ⁿ)]. Full jitter spreads clients
/// that failed together, so a server coming back is not hit by all of them at once. Shared by
/// call retries, Reserve reconnects and the worker's job retries.
/// </summary>
internal static class Backoff
{
    /// <summary>The ceiling of the <paramref name="attempt"/>-th wait (0-based), before jitter.</summary>
    public static TimeSpan Ceiling(int attempt, TimeSpan initial, TimeSpan max)
    {
        // 2^30 × any sane initial already exceeds every sane max; capping the exponent avoids overflow.
        var factor = Math.Pow(2, Math.Clamp(attempt, 0, 30));
        var ticks = Math.Min(max.Ticks, initial.Ticks * factor);
        return TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>
    /// A jittered wait for the <paramref name="attempt"/>-th retry (0-based): uniform in
    /// [<paramref name="floor"/>·ceiling, ceiling]. A floor of 0 is full jitter; job retries use ½
    /// ("equal jitter") so a failing job always waits at least half its backoff.
    /// </summary>
    public static TimeSpan Next(int attempt, TimeSpan initial, TimeSpan max, double floor = 0)
    {
        var ceiling = Ceiling(attempt, initial, max).Ticks;
        return TimeSpan.FromTicks((long)(ceiling * (floor + ((1 - floor) * Random.Shared.NextDouble()))));
    }
}
