using System.CommandLine;
using Chronoq.Cli.Internal;
using Chronoq.Protocol.V1;
using Spectre.Console;

namespace Chronoq.Cli.Commands;

/// <summary><c>chronoq peek ID</c> or <c>chronoq peek --topic T --state ready|delayed|buried</c>: shows a job without reserving it.</summary>
internal static class PeekCommand
{
    public static Command Create(CliContext context)
    {
        var id = new Argument<ulong?>("id") { Description = "The job's id.", Arity = ArgumentArity.ZeroOrOne };
        var topic = new Option<string?>("--topic", "-t") { Description = "Peek the next job of this topic instead." };
        var state = new Option<string>("--state", "-s") { Description = "With --topic: ready (most urgent), delayed (soonest) or buried (oldest).", DefaultValueFactory = static _ => "ready" };
        state.AcceptOnlyFromAmong("ready", "delayed", "buried");
        var command = new Command("peek", "Show a job and its counters (beanstalkd's stats-job).") { id, topic, state };
        command.Validators.Add(result =>
        {
            if ((result.GetValue(id) is null) == (result.GetValue(topic) is null))
            {
                result.AddError("Give either an id or --topic, not both or neither.");
            }
        });
        command.SetAction((parse, cancellationToken) => context.RunAsync(parse, cancellationToken, async (client, ct) =>
        {
            var job = parse.GetValue(id) is { } jobId
                ? await client.PeekAsync(jobId, ct).ConfigureAwait(false)
                : await client.PeekNextAsync(parse.GetValue(topic)!, parse.GetValue(state) switch
                {
                    "delayed" => JobState.Delayed,
                    "buried" => JobState.Buried,
                    _ => JobState.Ready,
                }, ct).ConfigureAwait(false);
            if (job is null)
            {
                context.Console.WriteLine("no such job");
                return ExitCodes.Empty;
            }

            context.Console.Write(JobView.Render(job));
            return ExitCodes.Ok;
        }));
        return command;
    }
}
