using System.CommandLine;
using Chronoq.Cli.Internal;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Chronoq.Cli.Commands;

/// <summary><c>chronoq top</c>: a live view of the server and its topics, refreshed until Ctrl+C.</summary>
internal static class TopCommand
{
    public static Command Create(CliContext context)
    {
        var interval = new Option<TimeSpan?>("--interval", "-i") { Description = "Time between refreshes (default 1s).", CustomParser = Durations.Parse };
        var count = new Option<int>("--count", "-n") { Description = "Stop after this many refreshes (default 0: until Ctrl+C)." };
        var command = new Command("top", "Watch the server's topics live.") { interval, count };
        command.SetAction((parse, cancellationToken) => context.RunAsync(parse, cancellationToken, async (client, ct) =>
        {
            var every = parse.GetValue(interval) ?? TimeSpan.FromSeconds(1);
            var limit = parse.GetValue(count);
            var view = await RenderAsync(client, ct).ConfigureAwait(false);
            await context.Console.Live(view).AutoClear(false).StartAsync(async live =>
            {
                for (var refreshes = 1; limit <= 0 || refreshes < limit; refreshes++)
                {
                    try
                    {
                        await Task.Delay(every, ct).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        // Ctrl+C ends the view; the last frame stays on screen.
                        return;
                    }

                    live.UpdateTarget(await RenderAsync(client, ct).ConfigureAwait(false));
                }
            }).ConfigureAwait(false);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static async Task<IRenderable> RenderAsync(Sdk.ChronoqClient client, CancellationToken cancellationToken)
    {
        var server = await client.GetServerStatsAsync(cancellationToken).ConfigureAwait(false);
        var topics = await client.ListTopicsAsync(cancellationToken).ConfigureAwait(false);
        var uptime = server.Uptime is null ? "-" : Durations.Format(server.Uptime.ToTimeSpan());
        var header = new Text(
            $"chronoq {server.Version} · {server.Storage} · up {uptime} · ready {server.Ready} · delayed {server.Delayed} · reserved {server.Reserved} · buried {server.Buried} · {DateTimeOffset.Now:HH:mm:ss}");
        return new Rows(header, StatsTables.Topics(topics));
    }
}
