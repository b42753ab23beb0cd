using System.Diagnostics.Metrics;
using System.Text;

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

    // Measurements whose tag values are all strings (a topic, say) build their series key here on
    // the stack: a reserved job's lateness costs no allocation then, only a new series does.
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
        Kind = definition == typeof(Counter<>) || definition == typeof(ObservableCounter<>) ? MetricKind.Counter
            : definition == typeof(Histogram<>) ? MetricKind.Histogram
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
        Span<char> stackKey = stackalloc char[StackKeyLength];
        var stackKeyLength = TryWriteKey(tags, stackKey);
        var key = stackKeyLength >= 0 ? null : KeyOf(tags);
        lock (_gate)
        {
            var series = key is null
                ? (_seriesByKey.TryGetValue(stackKey[..stackKeyLength], out var byStackKey) ? byStackKey : null)
                : _series.GetValueOrDefault(key);
            if (series is null)
            {
                series = new Series(LabelsOf(tags), _bounds.Length + 1);
                _series.Add(key ?? stackKey[..stackKeyLength].ToString(), series);
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
    /// Writes the key <see cref="KeyOf"/> would build into <paramref name="buffer"/> and returns its
    /// length; -1 (write nothing usable) unless every tag value is a string or null, the names are
    /// distinct and the key fits.
    /// </summary>
    internal static int TryWriteKey(ReadOnlySpan<KeyValuePair<string, object?>> tags, Span<char> buffer)
    {
        if (tags.Length > StackKeyTags)
        {
            return -1;
        }

        // Tag indexes in name order (insertion sort: a handful of tags at most).
        Span<int> order = stackalloc int[tags.Length];
        for (var i = 0; i < tags.Length; i++)
        {
            if (tags[i].Value is not (string or null))
            {
                return -1;
            }

            var j = i;
            while (j > 0 && string.CompareOrdinal(tags[order[j - 1]].Key, tags[i].Key) is var comparison && comparison >= 0)
            {
                if (comparison == 0)
                {
                    // A name twice: KeyOf's sort may order those two either way, so let it decide.
                    return -1;
                }

                order[j] = order[j - 1];
                j--;
            }

            order[j] = i;
        }

        var length = 0;
        foreach (var index in order)
        {
            var name = tags[index].Key;
            var value = (string?)tags[index].Value ?? "";
            if (length + name.Length + value.Length + 2 > buffer.Length)
            {
                return -1;
            }

            name.CopyTo(buffer[length..]);
            length += name.Length;
            buffer[length++] = '\u0001';
            value.CopyTo(buffer[length..]);
            length += value.Length;
            buffer[length++] = '\u0002';
        }

        return length;
    }

    internal static string KeyOf(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.IsEmpty)
        {
            return "";
        }

        var sorted = tags.ToArray();
        Array.Sort(sorted, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        var key = new StringBuilder();
        foreach (var (name, value) in sorted)
        {
            // \u0001 and \u0002 cannot appear in a topic name, so distinct tag sets get distinct keys.
            key.Append(name).Append('\u0001').Append(value).Append('\u0002');
        }

        return key.ToString();
    }

    private static KeyValuePair<string, string>[] LabelsOf(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labels = new KeyValuePair<string, string>[tags.Length];
        for (var i = 0; i < tags.Length; i++)
        {
            labels[i] = new(tags[i].Key, Convert.ToString(tags[i].Value, System.Globalization.CultureInfo.InvariantCulture) ?? "");
        }

        Array.Sort(labels, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
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
