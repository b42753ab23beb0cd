using Google.Protobuf.WellKnownTypes;

namespace Chronoq.Service.Api.Internal;

/// <summary>
/// google.protobuf.Timestamp and Duration to and from the engine's DateTimeOffset and TimeSpan,
/// with the range and sign rules of the well-known types checked here: the engine never sees a
/// malformed time, and the caller learns which field was malformed.
/// </summary>
internal static class WireTime
{
    // The ranges the well-known types allow (timestamp.proto, duration.proto).
    private const long MinTimestampSeconds = -62_135_596_800; // 0001-01-01T00:00:00Z
    private const long MaxTimestampSeconds = 253_402_300_799; // 9999-12-31T23:59:59Z
    private const long MaxDurationSeconds = 315_576_000_000; // about 10,000 years
    private const int MaxNanos = 999_999_999;
    private const int NanosPerTick = 100;

    /// <summary>
    /// Reads a Duration the caller sent. Null when unset; an error message naming
    /// <paramref name="field"/> when it is malformed or negative.
    /// </summary>
    public static bool TryReadSpan(Duration? duration, string field, out TimeSpan? span, out string? error)
    {
        span = null;
        error = null;
        if (duration is null)
        {
            return true;
        }

        var seconds = duration.Seconds;
        var nanos = duration.Nanos;
        if (seconds is < -MaxDurationSeconds or > MaxDurationSeconds || nanos is < -MaxNanos or > MaxNanos
            || (seconds > 0 && nanos < 0) || (seconds < 0 && nanos > 0))
        {
            error = $"{field} is not a valid google.protobuf.Duration (seconds within ±{MaxDurationSeconds}, nanos within ±{MaxNanos} with the sign of seconds)";
            return false;
        }

        if (seconds < 0 || nanos < 0)
        {
            error = $"{field} must not be negative";
            return false;
        }

        // 315,576,000,000 s is 3.2e18 ticks: no overflow. Sub-tick nanos round up, so a span is never shortened to zero.
        span = TimeSpan.FromTicks((seconds * TimeSpan.TicksPerSecond) + ((nanos + NanosPerTick - 1) / NanosPerTick));
        return true;
    }

    /// <summary>Reads a Timestamp the caller sent: null when unset, an error naming <paramref name="field"/> when out of range.</summary>
    public static bool TryReadTime(Timestamp? timestamp, string field, out DateTimeOffset? time, out string? error)
    {
        time = null;
        error = null;
        if (timestamp is null)
        {
            return true;
        }

        if (timestamp.Seconds is < MinTimestampSeconds or > MaxTimestampSeconds || timestamp.Nanos is < 0 or > MaxNanos)
        {
            error = $"{field} is not a valid google.protobuf.Timestamp (0001-01-01 to 9999-12-31, nanos 0 to {MaxNanos})";
            return false;
        }

        time = DateTimeOffset.UnixEpoch.AddTicks((timestamp.Seconds * TimeSpan.TicksPerSecond) + (timestamp.Nanos / NanosPerTick));
        return true;
    }

    /// <summary>A time the server reports.</summary>
    public static Timestamp ToTimestamp(DateTimeOffset time)
    {
        var ticks = (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks);
        var seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var remainder);
        if (remainder < 0)
        {
            seconds--;
            remainder += TimeSpan.TicksPerSecond;
        }

        return new Timestamp { Seconds = seconds, Nanos = (int)(remainder * NanosPerTick) };
    }

    /// <summary>A span the server reports (never negative in practice; a negative one keeps the sign rule).</summary>
    public static Duration ToDuration(TimeSpan span)
    {
        var seconds = Math.DivRem(span.Ticks, TimeSpan.TicksPerSecond, out var remainder);
        return new Duration { Seconds = seconds, Nanos = (int)(remainder * NanosPerTick) };
    }
}
