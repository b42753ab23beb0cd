using System.CommandLine;
using Spectre.Console;

namespace Chronoq.Cli.Commands;

/// <summary><c>chronoq kick TOPIC [-n BOUND]</c> or <c>chronoq kick --job ID</c>: buried (else delayed) jobs back to ready.</summary>
internal static class KickCommand
{
    public static Command Create(CliContext context)
    {
        var topic = new Argument<string?>("topic") { Description = "The topic whose buried (else delayed) jobs to kick.", Arity = ArgumentArity.ZeroOrOne };
        var bound = new Option<uint>("--bound", "-n") { Description = "At most this many jobs (default 1).", DefaultValueFactory = static _ => 1 };
        var job = new Option<ulong?>("--job", "-j") { Description = "Kick this one buried or delayed job instead." };
        var command = new Command("kick", "Move buried jobs (or, if none, delayed jobs) to ready.") { topic, bound, job };
        command.Validators.Add(result =>
        {
            var hasTopic = result.GetValue(topic) is not null;
            var hasJob = result.GetValue(job) is not null;
            if (hasTopic == hasJob)
            {
                result.AddError("Give either a topic or --job, not both or neither.");
            }
        });
        command.SetAction((parse, cancellationToken) => context.RunAsync(parse, cancellationToken, async (client, ct) =>
        {
            if (parse.GetValue(job) is { } id)
            {
                await client.KickJobAsync(id, ct).ConfigureAwait(false);
                context.Console.WriteLine($"job {id} kicked");
                return ExitCodes.Ok;
            }

            var kicked = await client.KickAsync(parse.GetValue(topic)!, parse.GetValue(bound), ct).ConfigureAwait(false);
            context.Console.WriteLine($"{kicked} job(s) kicked");
            return kicked > 0 ? ExitCodes.Ok : ExitCodes.Empty;
        }));
        return command;
    }
}
