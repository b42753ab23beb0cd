// A worker as a hosted service: concurrency, retries with backoff and jitter, bury after the last
// attempt, automatic touch for slow handlers, graceful shutdown on Ctrl+C.
//   dotnet run --project examples/HostedWorker -- --address http://127.0.0.1:50051 [--seconds 10]
using System.Globalization;
using Chronoq.Sdk;
using HostedWorker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var address = Argument("--address") ?? "http://127.0.0.1:50051";
var seconds = Argument("--seconds") is { } value ? double.Parse(value, CultureInfo.InvariantCulture) : (double?)null;
const string Topic = "examples.emails";

var builder = Host.CreateApplicationBuilder();
builder.Services.AddChronoqClient(o => o with { Address = new Uri(address) });
builder.Services.AddChronoqWorker<SendEmailHandler, SendEmail>(Topic, ExampleJsonContext.Default.SendEmail, ChronoqWorkerOptions.Default with
{
    Concurrency = 4,
    MaxAttempts = 3,
    RetryInitialDelay = TimeSpan.FromMilliseconds(500),
    ShutdownTimeout = TimeSpan.FromSeconds(10),
});
using var host = builder.Build();

// Something to do: a few emails, one of them bound to fail until it is buried.
var emails = host.Services.GetRequiredService<ChronoqClient>().Topic(Topic, ExampleJsonContext.Default.SendEmail);
foreach (var to in new[] { "ada@example.com", "alan@example.com", "grace@example.com", "flaky@example.com" })
{
    await emails.PutAsync(new SendEmail(to, "Your order shipped"));
}

using var stopAfter = seconds is { } s ? new CancellationTokenSource(TimeSpan.FromSeconds(s)) : new CancellationTokenSource();
await host.RunAsync(stopAfter.Token);

string? Argument(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
