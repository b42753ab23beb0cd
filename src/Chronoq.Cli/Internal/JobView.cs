using System.Globalization;
using System.Text;
using Chronoq.Protocol.V1;
using Spectre.Console;

namespace Chronoq.Cli.Internal;

/// <summary>A job as a two-column grid: what beanstalkd's stats-job shows, plus the body.</summary>
internal static class JobView
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static Grid Render(Job job, ulong reservation = 0, DateTimeOffset? deadline = null)
    {
        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        Row(grid, "id", job.Id.ToString(CultureInfo.InvariantCulture));
        Row(grid, "topic", job.Topic);
        Row(grid, "state", StateName(job.State));
        Row(grid, "priority", job.Priority.ToString(CultureInfo.InvariantCulture));
        if (reservation != 0)
        {
            Row(grid, "reservation", reservation.ToString(CultureInfo.InvariantCulture));
        }

        if (deadline is { } due)
        {
            Row(grid, "deadline", due.ToString("O", CultureInfo.InvariantCulture));
        }

        if (job.ReadyAt is not null)
        {
            Row(grid, "ready at", job.ReadyAt.ToDateTimeOffset().ToString("O", CultureInfo.InvariantCulture));
        }

        if (job.Ttr is not null)
        {
            Row(grid, "ttr", Durations.Format(job.Ttr.ToTimeSpan()));
        }

        if (job.Key.Length > 0)
        {
            Row(grid, "key", job.Key);
        }

        Row(grid, "reserves", job.Reserves.ToString(CultureInfo.InvariantCulture));
        Row(grid, "timeouts", job.Timeouts.ToString(CultureInfo.InvariantCulture));
        Row(grid, "releases", job.Releases.ToString(CultureInfo.InvariantCulture));
        Row(grid, "buries", job.Buries.ToString(CultureInfo.InvariantCulture));
        Row(grid, "kicks", job.Kicks.ToString(CultureInfo.InvariantCulture));
        foreach (var (name, value) in job.Headers.OrderBy(static h => h.Key, StringComparer.Ordinal))
        {
            Row(grid, "header " + name, value);
        }

        Row(grid, "body", BodyText(job.Body.Span));
        return grid;
    }

    /// <summary>The body as text when it is UTF-8, else its size and base64.</summary>
    public static string BodyText(ReadOnlySpan<byte> body)
    {
        try
        {
            return StrictUtf8.GetString(body);
        }
        catch (DecoderFallbackException)
        {
            return $"({body.Length} bytes, base64) {Convert.ToBase64String(body)}";
        }
    }

    public static string StateName(JobState state) => state switch
    {
        JobState.Ready => "ready",
        JobState.Delayed => "delayed",
        JobState.Reserved => "reserved",
        JobState.Buried => "buried",
        _ => "unspecified",
    };

    private static void Row(Grid grid, string name, string value) => grid.AddRow(new Text(name, new Style(decoration: Decoration.Bold)), new Text(value));
}
