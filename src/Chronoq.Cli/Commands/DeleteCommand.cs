using System.CommandLine;
using Spectre.Console;

namespace Chronoq.Cli.Commands;

/// <summary><c>chronoq delete ID</c>: deletes a job (a reserved one needs its reservation).</summary>
internal static class DeleteCommand
{
    public static Command Create(CliContext context)
    {
        var id = new Argument<ulong>("id") { Description = "The job's id." };
        var reservation = new Option<ulong>("--reservation", "-r") { Description = "The reservation token, required while the job is reserved." };
        var command = new Command("delete", "Delete a job.") { id, reservation };
        command.SetAction((parse, cancellationToken) => context.RunAsync(parse, cancellationToken, async (client, ct) =>
        {
            await client.DeleteAsync(parse.GetValue(id), parse.GetValue(reservation), ct).ConfigureAwait(false);
            context.Console.WriteLine($"job {parse.GetValue(id)} deleted");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
