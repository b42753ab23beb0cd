using Chronoq.Cli;
using Spectre.Console;

return await ChronoqCommandLine.RunAsync(args, AnsiConsole.Console, Console.Error).ConfigureAwait(false);
