using System.Globalization;

namespace Chronoq.Protocol.Grpc;

/// <summary>
/// The <c>grpc-timeout</c> header: a positive integer of at most 8 ASCII digits followed by one
/// unit, H (hours), M (minutes), S (seconds), m (milliseconds), u (microseconds) or n (nanoseconds).
/// </summary>
public static class GrpcTimeout
{
    /// <summary>The spec caps the value at 8 digits.</summary>
    public const int MaxDigits = 8;

    private const long MaxValue = 99_999_999;

    /// <summary>
    /// Parses a header value. Returns false when the value is malformed (empty, more than 8
    /// digits, a sign, an unknown unit). Values too large for <see cref="TimeSpan"/> saturate at
    /// <see cref="TimeSpan.MaxValue"/>; 99999999H is still finite, so this only guards the sum.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> value, out TimeSpan timeout)
    {
        timeout = default;
        if (value.Length < 2 || value.Length > MaxDigits + 1)
        {
            return false;
        }

        long amount = 0;
        var digits = value[..^1];
        foreach (var c in digits)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }

            amount = (amount * 10) + (c - '0');
        }

        // TimeSpan ticks are 100 ns; 99,999,999 hours still fits a long of ticks (3.6e20 does not,
        // so hours and minutes are clamped below).
        switch (value[^1])
        {
            case 'n':
                timeout = TimeSpan.FromTicks(amount / 100);
                return true;
            case 'u':
                timeout = TimeSpan.FromTicks(amount * 10);
                return true;
            case 'm':
                timeout = TimeSpan.FromTicks(amount * TimeSpan.TicksPerMillisecond);
                return true;
            case 'S':
                timeout = TimeSpan.FromTicks(amount * TimeSpan.TicksPerSecond);
                return true;
            case 'M':
                timeout = TimeSpan.FromTicks(amount * TimeSpan.TicksPerMinute);
                return true;
            case 'H':
                timeout = amount > TimeSpan.MaxValue.Ticks / TimeSpan.TicksPerHour
                    ? TimeSpan.MaxValue
                    : TimeSpan.FromTicks(amount * TimeSpan.TicksPerHour);
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// Formats a timeout in the finest unit whose value fits 8 digits, rounding up so a deadline
    /// is never shortened. A zero or negative timeout formats as <c>1n</c> (already expired).
    /// </summary>
    public static string Format(TimeSpan timeout)
    {
        if (timeout <= TimeSpan.Zero)
        {
            return "1n";
        }

        var ticks = timeout.Ticks;
        if (ticks <= MaxValue / 100)
        {
            return Compose(ticks * 100, 'n');
        }

        if (CeilDiv(ticks, 10) <= MaxValue)
        {
            return Compose(CeilDiv(ticks, 10), 'u');
        }

        ReadOnlySpan<(long TicksPerUnit, char Unit)> units =
        [
            (TimeSpan.TicksPerMillisecond, 'm'),
            (TimeSpan.TicksPerSecond, 'S'),
            (TimeSpan.TicksPerMinute, 'M'),
        ];
        foreach (var (ticksPerUnit, unit) in units)
        {
            var amount = CeilDiv(ticks, ticksPerUnit);
            if (amount <= MaxValue)
            {
                return Compose(amount, unit);
            }
        }

        return Compose(Math.Min(CeilDiv(ticks, TimeSpan.TicksPerHour), MaxValue), 'H');
    }

    private static long CeilDiv(long value, long divisor) => (value + divisor - 1) / divisor;

    private static string Compose(long amount, char unit) =>
        string.Create(CultureInfo.InvariantCulture, $"{amount}{unit}");
}
