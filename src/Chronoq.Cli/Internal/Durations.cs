using System.CommandLine.Parsing;
using System.Globalization;

namespace Chronoq.Cli.Internal;

/// <summary>Durations as operators type them: <c>500ms</c>, <c>30s</c>, <c>5m</c>, <c>2h</c>, <c>7d</c>, or <c>hh:mm:ss</c>.</summary>
internal static class Durations
{
    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = default;
        text = text.Trim();
        var unitStart = text.Length;
        while (unitStart > 0 && char.IsAsciiLetter(text[unitStart - 1]))
        {
            unitStart--;
        }

        if (unitStart == text.Length)
        {
            return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out duration) && duration >= TimeSpan.Zero;
        }

        if (!double.TryParse(text.AsSpan(0, unitStart), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < 0 || double.IsInfinity(value))
        {
            return false;
        }

        TimeSpan? parsed = text[unitStart..] switch
        {
            "ms" => TimeSpan.FromMilliseconds(value),
            "s" => TimeSpan.FromSeconds(value),
            "m" => TimeSpan.FromMinutes(value),
            "h" => TimeSpan.FromHours(value),
            "d" => TimeSpan.FromDays(value),
            _ => null,
        };
        duration = parsed ?? default;
        return parsed is not null;
    }

    /// <summary>A System.CommandLine parser for a duration option.</summary>
    public static TimeSpan? Parse(ArgumentResult result)
    {
        var token = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (TryParse(token, out var duration))
        {
            return duration;
        }

        result.AddError($"'{token}' is not a duration; use e.g. 500ms, 30s, 5m, 2h, 7d or hh:mm:ss.");
        return null;
    }

    public static string Format(TimeSpan duration) =>
        duration == TimeSpan.Zero ? "0s"
        : duration < TimeSpan.FromSeconds(1) ? $"{duration.TotalMilliseconds:0}ms"
        : duration < TimeSpan.FromMinutes(1) ? string.Create(CultureInfo.InvariantCulture, $"{duration.TotalSeconds:0.###}s")
        : duration.ToString(duration >= TimeSpan.FromDays(1) ? @"d\.hh\:mm\:ss" : @"hh\:mm\:ss", CultureInfo.InvariantCulture);
}
