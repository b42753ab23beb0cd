using Chronoq.Service;

await ChronoqHost.Build(args).RunAsync().ConfigureAwait(false);
