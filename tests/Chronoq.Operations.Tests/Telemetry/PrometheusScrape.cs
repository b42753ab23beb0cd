using System.Globalization;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;

namespace Chronoq.Operations.Tests.Telemetry;

/// <summary>One GET /metrics, parsed into samples keyed by their series (name plus labels, as written).</summary>
internal sealed partial class PrometheusScrape
{
    private PrometheusScrape(string text, MediaTypeHeaderValue? contentType)
    {
        Text = text;
        ContentType = contentType;
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith('#'))
            {
                continue;
            }

            var match = Sample().Match(line);
            Assert.True(match.Success, $"not a valid sample line: '{line}'");
            Samples[match.Groups[1].Value] = double.Parse(match.Groups[2].Value, NumberStyles.Float, CultureInfo.InvariantCulture);
        }
    }

    public string Text { get; }

    public MediaTypeHeaderValue? ContentType { get; }

    public Dictionary<string, double> Samples { get; } = new(StringComparer.Ordinal);

    public static async Task<PrometheusScrape> GetAsync(HttpClient http, Uri httpAddress)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        using var response = await http.GetAsync(new Uri(httpAddress, "/metrics"), timeout.Token);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return new PrometheusScrape(await response.Content.ReadAsStringAsync(timeout.Token), response.Content.Headers.ContentType);
    }

    /// <summary>The value of a series, e.g. <c>chronoq_jobs{chronoq_job_state="ready",chronoq_topic="t"}</c>; 0 when absent.</summary>
    public double Value(string series) => Samples.TryGetValue(series, out var value) ? value : 0;

    [GeneratedRegex(@"^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{.*\})?) (\S+)$")]
    private static partial Regex Sample();
}
