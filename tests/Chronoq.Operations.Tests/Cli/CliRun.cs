using Chronoq.Cli;
using Spectre.Console;

namespace Chronoq.Operations.Tests.Cli;

/// <summary>One in-process run of the <c>chronoq</c> command line: its exit code and what it printed.</summary>
internal sealed record CliRun(int ExitCode, string Output, string Error)
{
    /// <summary>A run must end well within this on loopback; longer is a hang.</summary>
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(20);

    public static async Task<CliRun> RunAsync(Uri address, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        // Wide enough that no table column wraps a value the test looks for.
        console.Profile.Width = 240;
        using var timeout = new CancellationTokenSource(RunTimeout);
        var code = await ChronoqCommandLine.RunAsync([.. args, "--address", address.ToString(), "--deadline", "10s"], console, error, timeout.Token);
        return new CliRun(code, output.ToString(), error.ToString());
    }

    public override string ToString() => $"exit {ExitCode}\n--- output\n{Output}\n--- error\n{Error}";
}
