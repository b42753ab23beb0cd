using System.CommandLine;
using Chronoq.Cli.Internal;
using Spectre.Console;

namespace Chronoq.Cli.Commands;

/// <summary><c>chronoq stats [TOPIC]</c>: the server's counters, or one topic's.</summary>
internal static class StatsCommand
{
    public static Command Create(CliContext context)
    {
        var topic = new Argument<string?>("topic") { Description = "Show this topic's counters instead of the server's.", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("stats", "Show server (or topic) statistics.") { topic };
        command.SetAction((parse, cancellationToken) => context.RunAsync(parse, cancellationToken, async (client, ct) =>
        {
            if (parse.GetValue(topic) is { } name)
            {
                context.Console.Write(StatsTables.Topic(await client.GetTopicStatsAsync(name, ct).ConfigureAwait(false)));
            }
            else
            {
                context.Console.Write(StatsTables.Server(await client.GetServerStatsAsync(ct).ConfigureAwait(false)));
            }

            return ExitCodes.Ok;
        }));
        return command;
    }
}
