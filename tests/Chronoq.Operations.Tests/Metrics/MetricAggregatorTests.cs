using System.Diagnostics.Metrics;
using System.Globalization;
using Chronoq.Service.Telemetry.Internal;

namespace Chronoq.Operations.Tests.Metrics;

public sealed class MetricAggregatorTests
{
    // Each test owns a meter with its own name, so parallel tests never see each other's instruments.
    private readonly string _meterName = "Chronoq.Tests." + Guid.NewGuid().ToString("N");

    [Fact]
    public void Collect_Counter_SumsPerTagSetWhateverTheTagOrder()
    {
        using var meter = new Meter(_meterName);
        using var aggregator = new MetricAggregator([_meterName]);
        var counter = meter.CreateCounter<long>("test.puts", "{job}", "Puts.");

        counter.Add(2, new("topic", "a"), new("kind", "x"));
        counter.Add(3, new("kind", "x"), new("topic", "a"));
        counter.Add(1, new KeyValuePair<string, object?>("topic", "b"));

        var family = Assert.Single(aggregator.Collect());
        Assert.Equal(MetricKind.Counter, family.Kind);
        Assert.Equal(2, family.Points.Count);
        var a = family.Points.Single(p => p.Labels.Any(l => l.Value == "a"));
        Assert.Equal(5, a.Value);
        Assert.Equal(["kind", "topic"], a.Labels.Select(l => l.Key));
        Assert.Equal(1, family.Points.Single(p => p.Labels.Any(l => l.Value == "b")).Value);
    }

    [Fact]
    public void TryWriteKey_TagsInAnyOrder_WritesOneKeyInNameOrder()
    {
        KeyValuePair<string, object?>[] tags = [new("topic", "orders"), new("kind", null), new("b", 7)];
        KeyValuePair<string, object?>[] reordered = [tags[2], tags[0], tags[1]];
        Span<char> buffer = stackalloc char[256];

        Assert.Equal("b\u00017\u0002kind\u0001\u0002topic\u0001orders\u0002", KeyOf(tags, buffer));
        Assert.Equal(KeyOf(tags, buffer), KeyOf(reordered, buffer));
        Assert.Equal("", KeyOf([], buffer));
    }

    [Fact]
    public void TryWriteKey_KeyLongerThanTheBuffer_ReturnsMinusOne()
    {
        KeyValuePair<string, object?>[] tags = [new("topic", "orders"), new("code", 12345)];
        Span<int> order = stackalloc int[tags.Length];
        InstrumentAggregate.OrderByName(tags, order);
        var length = InstrumentAggregate.TryWriteKey(tags, order, stackalloc char[64]);

        // Each cut of the buffer short of the whole key, whether in a name, a string or a number.
        for (var size = 0; size < length; size++)
        {
            Assert.Equal(-1, InstrumentAggregate.TryWriteKey(tags, order, new char[size]));
        }
    }

    [Fact]
    public void Record_StringTagsOfAnExistingSeries_AllocatesNothing()
    {
        using var meter = new Meter(_meterName);
        var aggregate = new InstrumentAggregate(meter.CreateHistogram<double>("test.lateness"));
        KeyValuePair<string, object?>[] tags = [new("topic", "orders"), new("outcome", "reserved")];
        aggregate.Record(0.5, tags); // the series exists from here on

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1_000; i++)
        {
            aggregate.Record(i, tags);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1_001, Assert.Single(aggregate.Snapshot().Points).Count);
    }

    [Fact]
    public void Collect_NumberTagUnderACommaDecimalCulture_SameSeriesAndInvariantLabel()
    {
        using var meter = new Meter(_meterName);
        using var aggregator = new MetricAggregator([_meterName]);
        var counter = meter.CreateCounter<long>("test.ratio");
        var culture = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
            counter.Add(1, new KeyValuePair<string, object?>("ratio", 1.5));
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
            // Without ICU every culture formats like the invariant one, and this test would prove nothing.
            Assert.Equal(",", CultureInfo.CurrentCulture.NumberFormat.NumberDecimalSeparator);
            counter.Add(2, new KeyValuePair<string, object?>("ratio", 1.5));
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
        }

        var point = Assert.Single(Assert.Single(aggregator.Collect()).Points);
        Assert.Equal(3, point.Value);
        Assert.Equal("1.5", Assert.Single(point.Labels).Value);
    }

    [Fact]
    public void Collect_LongAndShortStringTags_EachSummedInItsOwnSeries()
    {
        using var meter = new Meter(_meterName);
        using var aggregator = new MetricAggregator([_meterName]);
        var counter = meter.CreateCounter<long>("test.reads");
        var longTopic = new string('t', 300);

        counter.Add(1, new KeyValuePair<string, object?>("topic", longTopic));
        counter.Add(2, new KeyValuePair<string, object?>("topic", longTopic));
        counter.Add(4, new KeyValuePair<string, object?>("topic", "short"));
        counter.Add(8, new KeyValuePair<string, object?>("topic", "short"));

        var points = Assert.Single(aggregator.Collect()).Points;
        Assert.Equal(2, points.Count);
        Assert.Equal(3, points.Single(p => p.Labels[0].Value == longTopic).Value);
        Assert.Equal(12, points.Single(p => p.Labels[0].Value == "short").Value);
    }

    [Fact]
    public void Collect_MoreTagsThanTheStackOrderHolds_OneSeriesWhateverTheOrder()
    {
        using var meter = new Meter(_meterName);
        using var aggregator = new MetricAggregator([_meterName]);
        var counter = meter.CreateCounter<long>("test.wide");
        var tags = Enumerable.Range(0, 12).Select(i => new KeyValuePair<string, object?>("t" + i, i)).ToArray();

        counter.Add(1, tags);
        counter.Add(2, tags.AsEnumerable().Reverse().ToArray());

        var point = Assert.Single(Assert.Single(aggregator.Collect()).Points);
        Assert.Equal(3, point.Value);
        Assert.Equal(tags.Select(t => t.Key).Order(StringComparer.Ordinal), point.Labels.Select(l => l.Key));
    }

    [Fact]
    public void Collect_Histogram_CountsIntoAdvisedBucketsWithInclusiveUpperBounds()
    {
        using var meter = new Meter(_meterName);
        using var aggregator = new MetricAggregator([_meterName]);
        var histogram = meter.CreateHistogram("test.latency", "s", "Latency.", null, new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.1, 1] });

        foreach (var value in new[] { 0.005, 0.01, 0.05, 0.5, 7 })
        {
            histogram.Record(value);
        }

        var point = Assert.Single(Assert.Single(aggregator.Collect()).Points);
        Assert.Equal([0.01, 0.1, 1], point.Bounds!);
        Assert.Equal([2L, 1, 1, 1], point.BucketCounts!);
        Assert.Equal(5, point.Count);
        Assert.Equal(7.565, point.Sum, 9);
    }

    [Fact]
    public void Collect_HistogramWithoutAdvice_UsesOpenTelemetryDefaultBuckets()
    {
        using var meter = new Meter(_meterName);
        using var aggregator = new MetricAggregator([_meterName]);
        meter.CreateHistogram<int>("test.sizes").Record(30);

        var point = Assert.Single(Assert.Single(aggregator.Collect()).Points);
        Assert.Equal(15, point.Bounds!.Count);
        Assert.Equal(1, point.BucketCounts![4]); // (25, 50]
    }

    [Fact]
    public void Collect_ObservableGauge_ReportsOnlyWhatTheLastObservationSaw()
    {
        using var meter = new Meter(_meterName);
        using var aggregator = new MetricAggregator([_meterName]);
        var topics = new List<string> { "a", "b" };
        meter.CreateObservableGauge("test.jobs", () => topics.Select(t => new Measurement<long>(t.Length * 10, new KeyValuePair<string, object?>("topic", t))).ToList());

        Assert.Equal(2, Assert.Single(aggregator.Collect()).Points.Count);
        topics.Remove("a");
        var point = Assert.Single(Assert.Single(aggregator.Collect()).Points);
        Assert.Equal("b", point.Labels.Single().Value);
        Assert.Equal(10, point.Value);
    }

    [Fact]
    public void Collect_ObservableCounter_ReportsTheObservedTotalNotASum()
    {
        using var meter = new Meter(_meterName);
        using var aggregator = new MetricAggregator([_meterName]);
        var total = 7L;
        meter.CreateObservableCounter("test.total", () => total);

        Assert.Equal(7, Assert.Single(Assert.Single(aggregator.Collect()).Points).Value);
        total = 9;
        var family = Assert.Single(aggregator.Collect());
        Assert.Equal(MetricKind.Counter, family.Kind);
        Assert.Equal(9, Assert.Single(family.Points).Value);
    }

    [Fact]
    public void Collect_UpDownCounter_IsAGaugeOfTheRunningSum()
    {
        using var meter = new Meter(_meterName);
        using var aggregator = new MetricAggregator([_meterName]);
        var counter = meter.CreateUpDownCounter<int>("test.open");
        counter.Add(5);
        counter.Add(-2);

        var family = Assert.Single(aggregator.Collect());
        Assert.Equal(MetricKind.Gauge, family.Kind);
        Assert.Equal(3, Assert.Single(family.Points).Value);
    }

    [Fact]
    public void Collect_OtherMeters_AreIgnored()
    {
        using var other = new Meter(_meterName + ".other");
        using var aggregator = new MetricAggregator([_meterName]);
        other.CreateCounter<long>("test.elsewhere").Add(1);

        Assert.Empty(aggregator.Collect());
    }

    private static string KeyOf(ReadOnlySpan<KeyValuePair<string, object?>> tags, Span<char> buffer)
    {
        Span<int> order = stackalloc int[tags.Length];
        InstrumentAggregate.OrderByName(tags, order);
        return buffer[..InstrumentAggregate.TryWriteKey(tags, order, buffer)].ToString();
    }
}
