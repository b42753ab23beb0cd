using Chronoq.Service;
using Chronoq.Service.Security;

if (ApiKeyCommand.TryRun(args, Console.In, Console.Out))
{
    return;
}

await ChronoqHost.Build(args).RunAsync().ConfigureAwait(false);
