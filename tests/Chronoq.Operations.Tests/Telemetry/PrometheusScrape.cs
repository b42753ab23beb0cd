using System.Globalization;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;

namespace Chronoq.Operations.Tests.Telemetry;

/// <summary>
/// One GET /metrics, parsed into samples keyed by their series (name plus labels, as written) and
/// checked against the text format 0.0.4 as our writer uses it: each family declared by one
/// <c># TYPE</c> line with its samples right after it, label sets well formed, no series twice.
/// </summary>
internal sealed partial class PrometheusScrape
{
    private PrometheusScrape(string text, MediaTypeHeaderValue? contentType)
    {
        Text = text;
        ContentType = contentType;
        var declared = new HashSet<string>(StringComparer.Ordinal);
        (string Name, string Type)? family = null;
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var type = TypeLine().Match(line);
            if (type.Success)
            {
                Assert.True(declared.Add(type.Groups["name"].Value), $"family declared twice: '{line}'");
                family = (type.Groups["name"].Value, type.Groups["type"].Value);
                continue;
            }

            if (line.StartsWith('#'))
            {
                continue;
            }

            var match = Sample().Match(line);
            Assert.True(match.Success, $"not a valid sample line: '{line}'");
            Assert.True(family is { } current && IsOf(match.Groups["name"].Value, current), $"sample outside its family's TYPE block: '{line}'");
            var value = double.Parse(match.Groups["value"].Value, NumberStyles.Float, CultureInfo.InvariantCulture);
            Assert.True(Samples.TryAdd(match.Groups["series"].Value, value), $"series written twice: '{line}'");
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

    // A histogram's samples are its _bucket, _sum and _count series; every other family's carry its name.
    private static bool IsOf(string sample, (string Name, string Type) family) =>
        sample == family.Name
        || (family.Type == "histogram" && (sample == family.Name + "_bucket" || sample == family.Name + "_sum" || sample == family.Name + "_count"));

    [GeneratedRegex(@"^# TYPE (?<name>[a-zA-Z_:][a-zA-Z0-9_:]*) (?<type>counter|gauge|histogram|summary|untyped)$")]
    private static partial Regex TypeLine();

    // Label values escape only backslash, double quote and line feed.
    [GeneratedRegex(@"^(?<series>(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?:[a-zA-Z_][a-zA-Z0-9_]*=""(?:[^""\\\n]|\\[\\""n])*"")(?:,[a-zA-Z_][a-zA-Z0-9_]*=""(?:[^""\\\n]|\\[\\""n])*"")*\})?) (?<value>\S+)$")]
    private static partial Regex Sample();
}
