using System.CommandLine;
using Spectre.Console;

namespace Chronoq.Cli.Commands;

/// <summary><c>chronoq bury ID -r TOKEN</c>: sets a reserved job aside until kicked.</summary>
internal static class BuryCommand
{
    public static Command Create(CliContext context)
    {
        var id = new Argument<ulong>("id") { Description = "The job's id." };
        var reservation = new Option<ulong>("--reservation", "-r") { Description = "The reservation token.", Required = true };
        var priority = new Option<uint?>("--priority", "-p") { Description = "A new priority (default: keep it)." };
        var command = new Command("bury", "Bury a reserved job.") { id, reservation, priority };
        command.SetAction((parse, cancellationToken) => context.RunAsync(parse, cancellationToken, async (client, ct) =>
        {
            await client.BuryAsync(parse.GetValue(id), parse.GetValue(reservation), parse.GetValue(priority), ct).ConfigureAwait(false);
            context.Console.WriteLine($"job {parse.GetValue(id)} buried");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
