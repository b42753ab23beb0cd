using System.Globalization;
using Chronoq.Protocol.V1;
using Spectre.Console;

namespace Chronoq.Cli.Internal;

/// <summary>The tables of <c>topics</c>, <c>stats</c> and <c>top</c>.</summary>
internal static class StatsTables
{
    public static Table Topics(IReadOnlyList<TopicStats> topics)
    {
        var table = new Table().Border(TableBorder.Simple);
        table.AddColumn("topic");
        foreach (var column in new[] { "ready", "delayed", "reserved", "buried", "waiting", "puts", "deletes", "timeouts", "paused" })
        {
            table.AddColumn(new TableColumn(column).RightAligned());
        }

        foreach (var topic in topics.OrderBy(static t => t.Name, StringComparer.Ordinal))
        {
            var paused = topic.PauseRemaining is { } pause && pause.ToTimeSpan() > TimeSpan.Zero ? Durations.Format(pause.ToTimeSpan()) : "-";
            table.AddRow(
                new Text(topic.Name), Number(topic.Ready), Number(topic.Delayed), Number(topic.Reserved), Number(topic.Buried),
                Number(topic.Waiting), Number(topic.TotalPuts), Number(topic.TotalDeletes), Number(topic.TotalTimeouts), new Text(paused));
        }

        return table;
    }

    public static Grid Server(ServerStats stats)
    {
        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn(new GridColumn().RightAligned());
        Row(grid, "version", stats.Version);
        Row(grid, "storage", stats.Storage);
        Row(grid, "uptime", stats.Uptime is null ? "-" : Durations.Format(stats.Uptime.ToTimeSpan()));
        Row(grid, "topics", Format(stats.Topics));
        Row(grid, "ready", Format(stats.Ready));
        Row(grid, "delayed", Format(stats.Delayed));
        Row(grid, "reserved", Format(stats.Reserved));
        Row(grid, "buried", Format(stats.Buried));
        Row(grid, "total puts", Format(stats.TotalPuts));
        Row(grid, "total deletes", Format(stats.TotalDeletes));
        Row(grid, "total timeouts", Format(stats.TotalTimeouts));
        return grid;
    }

    public static Grid Topic(TopicStats stats)
    {
        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn(new GridColumn().RightAligned());
        Row(grid, "topic", stats.Name);
        Row(grid, "ready", Format(stats.Ready));
        Row(grid, "delayed", Format(stats.Delayed));
        Row(grid, "reserved", Format(stats.Reserved));
        Row(grid, "buried", Format(stats.Buried));
        Row(grid, "waiting", Format(stats.Waiting));
        Row(grid, "total puts", Format(stats.TotalPuts));
        Row(grid, "total deletes", Format(stats.TotalDeletes));
        Row(grid, "total timeouts", Format(stats.TotalTimeouts));
        Row(grid, "pause remaining", stats.PauseRemaining is null ? "0s" : Durations.Format(stats.PauseRemaining.ToTimeSpan()));
        return grid;
    }

    private static Text Number(ulong value) => new(Format(value));

    private static string Format(ulong value) => value.ToString(CultureInfo.InvariantCulture);

    private static void Row(Grid grid, string name, string value) => grid.AddRow(new Text(name, new Style(decoration: Decoration.Bold)), new Text(value));
}
