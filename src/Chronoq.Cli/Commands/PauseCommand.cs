using System.CommandLine;
using Chronoq.Cli.Internal;
using Spectre.Console;

namespace Chronoq.Cli.Commands;

/// <summary><c>chronoq pause TOPIC DURATION</c>: no job of the topic is reserved until the pause ends (0 ends it).</summary>
internal static class PauseCommand
{
    public static Command Create(CliContext context)
    {
        var topic = new Argument<string>("topic") { Description = "The topic to pause." };
        var duration = new Argument<TimeSpan?>("duration") { Description = "How long, e.g. 30s or 5m; 0 ends a pause.", CustomParser = Durations.Parse };
        var command = new Command("pause", "Pause reservations from a topic.") { topic, duration };
        command.SetAction((parse, cancellationToken) => context.RunAsync(parse, cancellationToken, async (client, ct) =>
        {
            var length = parse.GetValue(duration) ?? TimeSpan.Zero;
            await client.PauseTopicAsync(parse.GetValue(topic)!, length, ct).ConfigureAwait(false);
            context.Console.WriteLine(length == TimeSpan.Zero
                ? $"topic {parse.GetValue(topic)} resumed"
                : $"topic {parse.GetValue(topic)} paused for {Durations.Format(length)}");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
