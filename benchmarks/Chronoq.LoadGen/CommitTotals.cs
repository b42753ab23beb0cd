using System.Globalization;

namespace Chronoq.LoadGen;

/// <summary>
/// The server's storage commit totals from its /metrics page (the chronoq.storage.commit
/// histograms): how many commits, the mutation records they carried and the time they took. The
/// difference of two readings describes the group commits of the run between them.
/// </summary>
internal readonly record struct CommitTotals(double Commits, double Mutations, double Seconds)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>The totals now; all zero without a URL or before the first commit.</summary>
    public static async Task<CommitTotals> ReadAsync(Uri? metricsUrl)
    {
        if (metricsUrl is null)
        {
            return default;
        }

        var page = await Http.GetStringAsync(metricsUrl);
        return new CommitTotals(
            Sample(page, "chronoq_storage_commit_batch_size_count"),
            Sample(page, "chronoq_storage_commit_batch_size_sum"),
            Sample(page, "chronoq_storage_commit_duration_seconds_sum"));
    }

    public static CommitTotals operator -(CommitTotals after, CommitTotals before) =>
        new(after.Commits - before.Commits, after.Mutations - before.Mutations, after.Seconds - before.Seconds);

    /// <summary>Commits per second, records per commit and the mean commit time over <paramref name="seconds"/>.</summary>
    public string Describe(double seconds) => Commits == 0
        ? "no commits seen"
        : string.Create(CultureInfo.InvariantCulture, $"{Commits / seconds:F0} commits/s of {Mutations / Commits:F1} records, {Seconds * 1000 / Commits:F2} ms each");

    private static double Sample(string page, string name)
    {
        foreach (var line in page.AsSpan().EnumerateLines())
        {
            if (line.StartsWith(name) && line.Length > name.Length && line[name.Length] is ' ' or '{')
            {
                return double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}
