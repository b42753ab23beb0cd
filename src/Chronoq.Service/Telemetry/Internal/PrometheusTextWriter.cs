using System.Globalization;
using System.Text;

namespace Chronoq.Service.Telemetry.Internal;

/// <summary>
/// Writes metric families in the Prometheus text exposition format 0.0.4, naming them as the
/// OpenTelemetry-to-Prometheus compatibility rules do: dots and other invalid characters become
/// underscores, the unit becomes a suffix (<c>s</c> → <c>_seconds</c>; annotations such as
/// <c>{job}</c> are dropped), counters end in <c>_total</c>, histograms expand to cumulative
/// <c>_bucket{le=…}</c> series with <c>_sum</c> and <c>_count</c>.
/// </summary>
internal static class PrometheusTextWriter
{
    /// <summary>The Content-Type of the format written here.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static void Write(StringBuilder output, IEnumerable<MetricFamily> families)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(families);
        foreach (var family in families)
        {
            if (family.Points.Count == 0)
            {
                continue;
            }

            var name = MetricName(family.Name, family.Unit, family.Kind);
            if (!string.IsNullOrEmpty(family.Description))
            {
                output.Append("# HELP ").Append(name).Append(' ');
                AppendEscaped(output, family.Description, escapeQuotes: false);
                output.Append('\n');
            }

            output.Append("# TYPE ").Append(name).Append(' ').Append(family.Kind switch
            {
                MetricKind.Counter => "counter",
                MetricKind.Histogram => "histogram",
                _ => "gauge",
            }).Append('\n');

            foreach (var point in family.Points)
            {
                if (family.Kind == MetricKind.Histogram)
                {
                    WriteHistogram(output, name, point);
                }
                else
                {
                    WriteSample(output, name, point.Labels, null, point.Value);
                }
            }
        }
    }

    /// <summary>The Prometheus name of an OpenTelemetry instrument.</summary>
    public static string MetricName(string name, string? unit, MetricKind kind)
    {
        var result = Sanitize(name);
        var suffix = UnitSuffix(unit);
        if (suffix.Length > 0 && !result.EndsWith("_" + suffix, StringComparison.Ordinal))
        {
            result += "_" + suffix;
        }

        if (kind == MetricKind.Counter && !result.EndsWith("_total", StringComparison.Ordinal))
        {
            result += "_total";
        }

        return result;
    }

    /// <summary>A label name made valid: <c>[a-zA-Z_][a-zA-Z0-9_]*</c>.</summary>
    public static string LabelName(string key)
    {
        var result = Sanitize(key).Replace(":", "_", StringComparison.Ordinal);
        return result.Length > 0 && char.IsAsciiDigit(result[0]) ? "_" + result : result;
    }

    /// <summary>A sample value: shortest round-trip form, with the format's spelling of infinities and NaN.</summary>
    public static string FormatValue(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf"
        : double.IsNegativeInfinity(value) ? "-Inf"
        : double.IsNaN(value) ? "NaN"
        : value.ToString("R", CultureInfo.InvariantCulture);

    private static void WriteHistogram(StringBuilder output, string name, MetricPoint point)
    {
        var bounds = point.Bounds ?? [];
        var counts = point.BucketCounts ?? [];
        long cumulative = 0;
        for (var i = 0; i < bounds.Count; i++)
        {
            cumulative += i < counts.Count ? counts[i] : 0;
            WriteSample(output, name + "_bucket", point.Labels, FormatValue(bounds[i]), cumulative);
        }

        WriteSample(output, name + "_bucket", point.Labels, "+Inf", point.Count);
        WriteSample(output, name + "_sum", point.Labels, null, point.Sum);
        WriteSample(output, name + "_count", point.Labels, null, point.Count);
    }

    private static void WriteSample(StringBuilder output, string name, IReadOnlyList<KeyValuePair<string, string>> labels, string? le, double value)
    {
        output.Append(name);
        if (labels.Count > 0 || le is not null)
        {
            output.Append('{');
            var first = true;
            foreach (var (key, labelValue) in labels)
            {
                if (!first)
                {
                    output.Append(',');
                }

                first = false;
                output.Append(LabelName(key)).Append("=\"");
                AppendEscaped(output, labelValue, escapeQuotes: true);
                output.Append('"');
            }

            if (le is not null)
            {
                output.Append(first ? "" : ",").Append("le=\"").Append(le).Append('"');
            }

            output.Append('}');
        }

        output.Append(' ').Append(FormatValue(value)).Append('\n');
    }

    // The format escapes backslash and line feed everywhere, and the double quote inside label values.
    private static void AppendEscaped(StringBuilder output, string text, bool escapeQuotes)
    {
        foreach (var c in text)
        {
            switch (c)
            {
                case '\\':
                    output.Append(@"\\");
                    break;
                case '\n':
                    output.Append(@"\n");
                    break;
                case '"' when escapeQuotes:
                    output.Append("\\\"");
                    break;
                default:
                    output.Append(c);
                    break;
            }
        }
    }

    private static string Sanitize(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            var valid = char.IsAsciiLetterOrDigit(c) || c is '_' or ':';
            var next = valid ? c : '_';
            // Runs of invalid characters collapse to one underscore, as the compatibility rules ask.
            if (next == '_' && builder.Length > 0 && builder[^1] == '_')
            {
                continue;
            }

            builder.Append(next);
        }

        return builder.Length > 0 && char.IsAsciiDigit(builder[0]) ? "_" + builder : builder.ToString();
    }

    private static string UnitSuffix(string? unit) => unit switch
    {
        null or "" or "1" => "",
        _ when unit.StartsWith('{') => "",
        "s" => "seconds",
        "ms" => "milliseconds",
        "us" => "microseconds",
        "ns" => "nanoseconds",
        "By" => "bytes",
        "KiBy" => "kibibytes",
        "MiBy" => "mebibytes",
        _ => Sanitize(unit),
    };
}
