using System.CommandLine;
using Chronoq.Cli.Internal;
using Spectre.Console;

namespace Chronoq.Cli.Commands;

/// <summary><c>chronoq release ID -r TOKEN</c>: hands a reserved job back, ready now or after a delay.</summary>
internal static class ReleaseCommand
{
    public static Command Create(CliContext context)
    {
        var id = new Argument<ulong>("id") { Description = "The job's id." };
        var reservation = new Option<ulong>("--reservation", "-r") { Description = "The reservation token.", Required = true };
        var delay = new Option<TimeSpan?>("--delay", "-d") { Description = "Ready again after this delay (default now).", CustomParser = Durations.Parse };
        var priority = new Option<uint?>("--priority", "-p") { Description = "A new priority (default: keep it)." };
        var command = new Command("release", "Release a reserved job back to ready (or delayed).") { id, reservation, delay, priority };
        command.SetAction((parse, cancellationToken) => context.RunAsync(parse, cancellationToken, async (client, ct) =>
        {
            await client.ReleaseAsync(parse.GetValue(id), parse.GetValue(reservation), parse.GetValue(delay), parse.GetValue(priority), ct).ConfigureAwait(false);
            context.Console.WriteLine($"job {parse.GetValue(id)} released");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
