using System.CommandLine;
using Chronoq.Cli.Internal;
using Spectre.Console;

namespace Chronoq.Cli.Commands;

/// <summary><c>chronoq reserve TOPIC...</c>: reserves the most urgent ready job (beanstalkd's reserve-with-timeout) and shows it.</summary>
internal static class ReserveCommand
{
    public static Command Create(CliContext context)
    {
        var topics = new Argument<string[]>("topics") { Description = "The topics to reserve from.", Arity = ArgumentArity.OneOrMore };
        var timeout = new Option<TimeSpan?>("--timeout", "-t") { Description = "How long to wait for a job (default 0: take one only if ready now).", CustomParser = Durations.Parse };
        var delete = new Option<bool>("--delete") { Description = "Delete the job once shown (take it off the queue)." };
        var command = new Command("reserve", "Reserve one job and print it with its reservation token.") { topics, timeout, delete };
        command.SetAction((parse, cancellationToken) => context.RunAsync(parse, cancellationToken, async (client, ct) =>
        {
            var job = await client.ReserveOneAsync(parse.GetValue(topics)!, parse.GetValue(timeout) ?? TimeSpan.Zero, ct).ConfigureAwait(false);
            if (job is null)
            {
                context.Console.WriteLine("no job ready");
                return ExitCodes.Empty;
            }

            context.Console.Write(JobView.Render(job.Job, job.Reservation, job.Deadline));
            if (parse.GetValue(delete))
            {
                await job.DeleteAsync(ct).ConfigureAwait(false);
                context.Console.WriteLine($"job {job.Id} deleted");
            }

            return ExitCodes.Ok;
        }));
        return command;
    }
}
