using System.Text;
using Chronoq.Service.Telemetry.Internal;

namespace Chronoq.Operations.Tests.Metrics;

public sealed class PrometheusTextWriterTests
{
    private static readonly KeyValuePair<string, string>[] NoLabels = [];

    [Theory]
    [InlineData("chronoq.jobs.put", "{job}", "counter", "chronoq_jobs_put_total")]
    [InlineData("chronoq.storage.commit.duration", "s", "histogram", "chronoq_storage_commit_duration_seconds")]
    [InlineData("chronoq.jobs", "{job}", "gauge", "chronoq_jobs")]
    [InlineData("http.server.request.duration", "s", "counter", "http_server_request_duration_seconds_total")]
    [InlineData("odd--name..x", "By", "gauge", "odd_name_x_bytes")]
    [InlineData("1st", null, "gauge", "_1st")]
    [InlineData("already_total", null, "counter", "already_total")]
    [InlineData("wait_seconds", "s", "gauge", "wait_seconds")]
    public void MetricName_OpenTelemetryName_FollowsTheCompatibilityRules(string name, string? unit, string kind, string expected)
    {
        Assert.Equal(expected, PrometheusTextWriter.MetricName(name, unit, Enum.Parse<MetricKind>(kind, ignoreCase: true)));
    }

    [Fact]
    public void Write_Counter_WritesHelpTypeAndEscapedLabels()
    {
        var family = new MetricFamily("chronoq.jobs.put", "{job}", "Jobs put.\nBy topic \\ state.", MetricKind.Counter,
        [
            new MetricPoint([new("chronoq.topic", "a\"b\\c\nd")], 3),
            new MetricPoint([new("chronoq.topic", "plain")], 12.5),
        ]);

        var text = Write(family);

        Assert.Equal(
            "# HELP chronoq_jobs_put_total Jobs put.\\nBy topic \\\\ state.\n" +
            "# TYPE chronoq_jobs_put_total counter\n" +
            "chronoq_jobs_put_total{chronoq_topic=\"a\\\"b\\\\c\\nd\"} 3\n" +
            "chronoq_jobs_put_total{chronoq_topic=\"plain\"} 12.5\n",
            text);
    }

    [Fact]
    public void Write_Histogram_WritesCumulativeBucketsWithLeThenSumAndCount()
    {
        var family = new MetricFamily("chronoq.jobs.lateness", "s", "Lateness.", MetricKind.Histogram,
        [
            new MetricPoint([new("chronoq.topic", "t")], 0, [0.001, 0.01, 1], [2, 0, 3, 1], Sum: 4.25, Count: 6),
        ]);

        var lines = Write(family).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(
        [
            "# HELP chronoq_jobs_lateness_seconds Lateness.",
            "# TYPE chronoq_jobs_lateness_seconds histogram",
            "chronoq_jobs_lateness_seconds_bucket{chronoq_topic=\"t\",le=\"0.001\"} 2",
            "chronoq_jobs_lateness_seconds_bucket{chronoq_topic=\"t\",le=\"0.01\"} 2",
            "chronoq_jobs_lateness_seconds_bucket{chronoq_topic=\"t\",le=\"1\"} 5",
            "chronoq_jobs_lateness_seconds_bucket{chronoq_topic=\"t\",le=\"+Inf\"} 6",
            "chronoq_jobs_lateness_seconds_sum{chronoq_topic=\"t\"} 4.25",
            "chronoq_jobs_lateness_seconds_count{chronoq_topic=\"t\"} 6",
        ], lines);
    }

    [Fact]
    public void Write_HistogramWithoutLabels_PutsLeAlone()
    {
        var family = new MetricFamily("batch", null, null, MetricKind.Histogram, [new MetricPoint(NoLabels, 0, [1], [1, 0], Sum: 1, Count: 1)]);

        var text = Write(family);

        Assert.Contains("batch_bucket{le=\"1\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("batch_sum 1\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("# HELP", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_FamilyWithoutPoints_WritesNothing()
    {
        Assert.Equal("", Write(new MetricFamily("empty", null, "Nothing yet.", MetricKind.Gauge, [])));
    }

    [Theory]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(0.1, "0.1")]
    [InlineData(1e21, "1E+21")]
    [InlineData(-3, "-3")]
    public void FormatValue_SpecialAndOrdinaryValues_UseTheFormatsSpelling(double value, string expected)
    {
        Assert.Equal(expected, PrometheusTextWriter.FormatValue(value));
    }

    [Theory]
    [InlineData("chronoq.topic", "chronoq_topic")]
    [InlineData("a:b", "a_b")]
    [InlineData("9lives", "_9lives")]
    public void LabelName_InvalidCharacters_BecomeUnderscores(string key, string expected)
    {
        Assert.Equal(expected, PrometheusTextWriter.LabelName(key));
    }

    private static string Write(MetricFamily family)
    {
        var text = new StringBuilder();
        PrometheusTextWriter.Write(text, [family]);
        return text.ToString();
    }
}
