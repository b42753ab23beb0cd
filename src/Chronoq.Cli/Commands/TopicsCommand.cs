using System.CommandLine;
using Chronoq.Cli.Internal;
using Spectre.Console;

namespace Chronoq.Cli.Commands;

/// <summary><c>chronoq topics</c>: every topic with its job counts.</summary>
internal static class TopicsCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("topics", "List topics with their ready, delayed, reserved and buried counts.");
        command.SetAction((parse, cancellationToken) => context.RunAsync(parse, cancellationToken, async (client, ct) =>
        {
            var topics = await client.ListTopicsAsync(ct).ConfigureAwait(false);
            if (topics.Count == 0)
            {
                context.Console.WriteLine("no topics");
                return ExitCodes.Ok;
            }

            context.Console.Write(StatsTables.Topics(topics));
            return ExitCodes.Ok;
        }));
        return command;
    }
}
