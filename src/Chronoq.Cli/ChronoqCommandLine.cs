using System.CommandLine;
using Chronoq.Cli.Commands;
using Spectre.Console;

namespace Chronoq.Cli;

/// <summary>The <c>chronoq</c> command line: builds the command tree and runs it.</summary>
public static class ChronoqCommandLine
{
    /// <summary>Builds the root command with every subcommand, writing to <paramref name="console"/> and <paramref name="error"/>.</summary>
    public static RootCommand Create(IAnsiConsole console, TextWriter error)
    {
        var context = new CliContext(console, error);
        var root = new RootCommand("Operate a Chronoq server: put and reserve jobs, inspect, kick, pause, watch.");
        root.Options.Add(context.Address);
        root.Options.Add(context.Deadline);
        root.Options.Add(context.ApiKey);
        root.Subcommands.Add(PutCommand.Create(context));
        root.Subcommands.Add(ReserveCommand.Create(context));
        root.Subcommands.Add(DeleteCommand.Create(context));
        root.Subcommands.Add(ReleaseCommand.Create(context));
        root.Subcommands.Add(BuryCommand.Create(context));
        root.Subcommands.Add(KickCommand.Create(context));
        root.Subcommands.Add(PeekCommand.Create(context));
        root.Subcommands.Add(StatsCommand.Create(context));
        root.Subcommands.Add(TopicsCommand.Create(context));
        root.Subcommands.Add(PauseCommand.Create(context));
        root.Subcommands.Add(TopCommand.Create(context));
        return root;
    }

    /// <summary>Parses and runs <paramref name="args"/>; returns the process exit code (see <see cref="ExitCodes"/>).</summary>
    public static Task<int> RunAsync(string[] args, IAnsiConsole console, TextWriter error, CancellationToken cancellationToken = default)
    {
        var root = Create(console, error);
        var configuration = new InvocationConfiguration { Error = error };
        return root.Parse(args).InvokeAsync(configuration, cancellationToken);
    }
}
