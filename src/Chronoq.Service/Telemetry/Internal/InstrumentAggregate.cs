using System.Buffers;
using System.Diagnostics.Metrics;
using System.Globalization;

namespace Chronoq.Service.Telemetry.Internal;

/// <summary>
/// What one instrument measured so far, per tag set: counters summed, gauges and observable
/// counters holding the last observation, histograms counted into the instrument's advised bucket
/// boundaries (OpenTelemetry's defaults when it gives none). Measurements arrive on any thread.
/// </summary>
internal sealed class InstrumentAggregate
{
    // OpenTelemetry's default explicit boundaries, used when an instrument advises none.
    private static readonly double[] DefaultBounds = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

    // A series key is built on the stack up to these sizes (a longer one in a pooled array): a
    // measurement whose tags are all strings (a reserved job's lateness by topic, say) costs no
    // allocation then, only a new series does. A handful of tags is the most our meters attach.
    private const int StackKeyTags = 8;
    private const int StackKeyLength = 256;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Series> _series = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Series>.AlternateLookup<ReadOnlySpan<char>> _seriesByKey;
    private readonly double[] _bounds;

    public InstrumentAggregate(Instrument instrument)
    {
        Instrument = instrument;
        var type = instrument.GetType();
        var definition = type.IsGenericType ? type.GetGenericTypeDefinition() : type;
        Kind = definition == typeof(Histogram<>) ? MetricKind.Histogram
            : (definition == typeof(Counter<>) || definition == typeof(ObservableCounter<>)) && !RuntimeInstrumentation.IsGaugePublishedAsCounter(instrument) ? MetricKind.Counter
            : MetricKind.Gauge;
        // Up-down counters add deltas; every other non-observable gauge (Gauge<T>) sets a value.
        IsDelta = !instrument.IsObservable && (Kind == MetricKind.Counter || definition == typeof(UpDownCounter<>));
        _bounds = Kind == MetricKind.Histogram ? BoundsOf(instrument) : [];
        _seriesByKey = _series.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public Instrument Instrument { get; }

    public MetricKind Kind { get; }

    private bool IsDelta { get; }

    /// <summary>Forgets the last observations of an observable instrument, so a series that is no longer observed (a topic gone) disappears.</summary>
    public void BeginObservation()
    {
        if (!Instrument.IsObservable)
        {
            return;
        }

        lock (_gate)
        {
            _series.Clear();
        }
    }

    public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        Span<int> order = tags.Length <= StackKeyTags ? stackalloc int[StackKeyTags] : new int[tags.Length];
        order = order[..tags.Length];
        OrderByName(tags, order);

        Span<char> key = stackalloc char[StackKeyLength];
        char[]? rented = null;
        int keyLength;
        while ((keyLength = TryWriteKey(tags, order, key)) < 0)
        {
            var size = key.Length * 2;
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }

            key = rented = ArrayPool<char>.Shared.Rent(size);
        }

        try
        {
            lock (_gate)
            {
                if (!_seriesByKey.TryGetValue(key[..keyLength], out var series))
                {
                    series = new Series(LabelsOf(tags, order), _bounds.Length + 1);
                    _series.Add(key[..keyLength].ToString(), series);
                }

                switch (Kind)
                {
                    case MetricKind.Histogram:
                        // Prometheus buckets are "less than or equal": a value on a bound counts in that bound's bucket.
                        var index = Array.BinarySearch(_bounds, value);
                        series.BucketCounts![index >= 0 ? index : ~index]++;
                        series.Sum += value;
                        series.Count++;
                        break;
                    default:
                        series.Value = IsDelta ? series.Value + value : value;
                        break;
                }
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    public MetricFamily Snapshot()
    {
        lock (_gate)
        {
            var points = _series
                .OrderBy(static pair => pair.Key, StringComparer.Ordinal)
                .Select(pair => Kind == MetricKind.Histogram
                    ? new MetricPoint(pair.Value.Labels, 0, _bounds, pair.Value.BucketCounts!.ToArray(), pair.Value.Sum, pair.Value.Count)
                    : new MetricPoint(pair.Value.Labels, pair.Value.Value))
                .ToList();
            return new MetricFamily(Instrument.Name, Instrument.Unit, Instrument.Description, Kind, points);
        }
    }

    private static double[] BoundsOf(Instrument instrument)
    {
        double[]? bounds = instrument switch
        {
            Histogram<long> h => h.Advice?.HistogramBucketBoundaries?.Select(static b => (double)b).ToArray(),
            Histogram<int> h => h.Advice?.HistogramBucketBoundaries?.Select(static b => (double)b).ToArray(),
            Histogram<double> h => h.Advice?.HistogramBucketBoundaries?.ToArray(),
            Histogram<float> h => h.Advice?.HistogramBucketBoundaries?.Select(static b => (double)b).ToArray(),
            _ => null,
        };
        return bounds is { Length: > 0 } ? bounds : DefaultBounds;
    }

    /// <summary>
    /// Fills <paramref name="order"/> with the indexes of <paramref name="tags"/> in ordinal name
    /// order, so the same tag set in any order makes the same key and labels. Insertion sort: a
    /// handful of tags at most, and stable, so a name given twice keeps the order it came in.
    /// </summary>
    internal static void OrderByName(ReadOnlySpan<KeyValuePair<string, object?>> tags, Span<int> order)
    {
        for (var i = 0; i < tags.Length; i++)
        {
            var j = i;
            while (j > 0 && string.CompareOrdinal(tags[order[j - 1]].Key, tags[i].Key) > 0)
            {
                order[j] = order[j - 1];
                j--;
            }

            order[j] = i;
        }
    }

    /// <summary>
    /// Writes the series key of <paramref name="tags"/>, taken in <paramref name="order"/>, into
    /// <paramref name="buffer"/> and returns its length, or -1 when it does not fit. Each value is
    /// written as its label shows it (<see cref="ValueText"/>, invariant culture), so one label set
    /// is one series whatever the recording thread's culture.
    /// </summary>
    internal static int TryWriteKey(ReadOnlySpan<KeyValuePair<string, object?>> tags, ReadOnlySpan<int> order, Span<char> buffer)
    {
        var length = 0;
        foreach (var index in order)
        {
            var name = tags[index].Key;
            // \u0001 and \u0002 cannot appear in a topic name, so distinct tag sets get distinct keys.
            if (length + name.Length + 2 > buffer.Length)
            {
                return -1;
            }

            name.CopyTo(buffer[length..]);
            length += name.Length;
            buffer[length++] = '\u0001';
            if (!TryWriteValue(tags[index].Value, buffer[length..^1], out var written))
            {
                return -1;
            }

            length += written;
            buffer[length++] = '\u0002';
        }

        return length;
    }

    // ValueText's text, written in place: strings and numbers (span-formattable) allocate nothing.
    private static bool TryWriteValue(object? value, Span<char> destination, out int written)
    {
        switch (value)
        {
            case string text:
                written = text.Length;
                return text.TryCopyTo(destination);
            case ISpanFormattable formattable:
                return formattable.TryFormat(destination, out written, default, CultureInfo.InvariantCulture);
            default:
                var other = ValueText(value);
                written = other.Length;
                return other.TryCopyTo(destination);
        }
    }

    private static string ValueText(object? value) => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";

    private static KeyValuePair<string, string>[] LabelsOf(ReadOnlySpan<KeyValuePair<string, object?>> tags, ReadOnlySpan<int> order)
    {
        var labels = new KeyValuePair<string, string>[tags.Length];
        for (var i = 0; i < order.Length; i++)
        {
            labels[i] = new(tags[order[i]].Key, ValueText(tags[order[i]].Value));
        }

        return labels;
    }

    private sealed class Series(KeyValuePair<string, string>[] labels, int buckets)
    {
        public KeyValuePair<string, string>[] Labels { get; } = labels;

        public double Value { get; set; }

        public long[]? BucketCounts { get; } = buckets > 1 ? new long[buckets] : null;

        public double Sum { get; set; }

        public long Count { get; set; }
    }
}
