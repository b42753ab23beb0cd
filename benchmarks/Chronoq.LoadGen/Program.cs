using System.Globalization;
using Chronoq.LoadGen;
using Chronoq.Sdk.Transport;
using Chronoq.Service;
using Chronoq.Service.Transport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

// Usage: dotnet run -c Release --project benchmarks/Chronoq.LoadGen -- transport [--seconds 10] [--concurrency 64] [--streams 8] [--payload 64] [--address http://127.0.0.1:PORT]
// Starts a Chronoq server in-process on 127.0.0.1 (with a load service added), or uses --address
// (any server of chronoq.interop.v1.InteropTest, e.g. tests/interop/node/interop_server.js, to
// tell client costs from server costs), and measures the client transport against it: unary
// calls/s and server-streamed messages/s.
// Or: ... -- workloads --address http://127.0.0.1:PORT [--only W1,W2,W3,W4,I4,I4PUT,CYCLE,RECOVERY] [--runs 3] [--server-pid PID]
//            [--postgres-pid POSTMASTER_PID] [--metrics-url http://127.0.0.1:PORT/metrics] [--connection-string PG] [--server-dll PATH] [--recover-jobs 1000000] [--w3-jobs 10000] [--w3-prefetch 64]
// runs the standard workloads (StandardWorkloads) through the SDK against a running server;
// RECOVERY starts and restarts a server of its own (--server-dll) over --connection-string.
// Or: ... -- beanstalk --address HOST:PORT [--runs 3] [--jobs 50000] runs the same shapes against beanstalkd (Beanstalk/BeanstalkWorkloads).
const string WorkloadsUsage = "Chronoq.LoadGen workloads --address URL [--only W1,W2,W3,W4,I4,I4PUT,CYCLE,RECOVERY] [--runs N] [--server-pid PID] [--postgres-pid PID] [--metrics-url URL] [--connection-string PG] [--server-dll PATH] [--recover-jobs N] [--w3-jobs N] [--w3-prefetch N]";

if (args.Length > 0 && args[0] == "beanstalk")
{
    return await Chronoq.LoadGen.Beanstalk.BeanstalkWorkloads.RunAsync(args);
}

if (args.Length > 0 && args[0] == "workloads")
{
    var addressAt = Array.IndexOf(args, "--address");
    if (addressAt < 0 || addressAt + 1 >= args.Length)
    {
        Console.Error.WriteLine("usage: " + WorkloadsUsage);
        return 2;
    }

    var only = Array.IndexOf(args, "--only") is var o and >= 0 && o + 1 < args.Length ? args[o + 1].Split(',') : ["W1", "W2", "W3", "W4"];
    var runs = Array.IndexOf(args, "--runs") is var r and >= 0 && r + 1 < args.Length ? int.Parse(args[r + 1], CultureInfo.InvariantCulture) : 3;
    int? pid = Array.IndexOf(args, "--server-pid") is var p and >= 0 && p + 1 < args.Length ? int.Parse(args[p + 1], CultureInfo.InvariantCulture) : null;
    string? Text(string name) => Array.IndexOf(args, name) is var t and >= 0 && t + 1 < args.Length ? args[t + 1] : null;
    var recovery = Text("--connection-string") is { } connectionString
        ? new RecoverySettings(
            Text("--server-dll") ?? "src/Chronoq.Service/bin/Release/net10.0/Chronoq.Service.dll",
            connectionString,
            int.Parse(Text("--recover-jobs") ?? "1000000", CultureInfo.InvariantCulture))
        : null;
    var latenessJobs = int.Parse(Text("--w3-jobs") ?? StandardWorkloads.DefaultLatenessJobs.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    int? postgresPid = Text("--postgres-pid") is { } postmaster ? int.Parse(postmaster, CultureInfo.InvariantCulture) : null;
    var metricsUrl = Text("--metrics-url") is { } metrics ? new Uri(metrics) : null;
    var latenessPrefetch = int.Parse(Text("--w3-prefetch") ?? StandardWorkloads.DefaultLatenessPrefetch.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    await new StandardWorkloads(new Uri(args[addressAt + 1]), runs, pid, recovery, latenessJobs, postgresPid, metricsUrl, latenessPrefetch).RunAsync(only);
    return 0;
}

if (args.Length == 0 || args[0] != "transport")
{
    Console.Error.WriteLine("usage: Chronoq.LoadGen transport [--seconds N] [--concurrency N] [--streams N] [--payload BYTES] [--address URL]");
    Console.Error.WriteLine("       " + WorkloadsUsage);
    return 2;
}

int Option(string name, int fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
}

var seconds = Option("--seconds", 10);
var concurrency = Option("--concurrency", 64);
var streams = Option("--streams", 8);
var payload = Option("--payload", 64);

var external = Array.IndexOf(args, "--address") is var at and >= 0 && at + 1 < args.Length ? new Uri(args[at + 1]) : null;
Microsoft.AspNetCore.Builder.WebApplication? app = null;
Uri address;
if (external is not null)
{
    address = external;
}
else
{
    var builder = ChronoqHost.CreateBuilder([]);
    builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["Chronoq:GrpcUrl"] = "http://127.0.0.1:0",
        ["Chronoq:HttpUrl"] = "http://127.0.0.1:0",
    });
    builder.Logging.SetMinimumLevel(LogLevel.Error);
    builder.Services.AddGrpcService<LoadStreamService>();
    app = ChronoqHost.Build(builder);
    await app.StartAsync();
    address = app.Services.GetRequiredService<ChronoqEndpoints>().GrpcAddress;
}

using var channel = ChronoqChannel.ForAddress(address);
var duration = TimeSpan.FromSeconds(seconds);
Console.WriteLine($"server {address}, {seconds} s per measurement, payload {payload} B, {Environment.ProcessorCount} cores");

// A short warm-up so JIT and connection set-up are not measured.
await new TransportLoad(channel, TimeSpan.FromSeconds(2), concurrency, payload).UnaryCallsPerSecondAsync();

var unary = await new TransportLoad(channel, duration, concurrency, payload).UnaryCallsPerSecondAsync();
Console.WriteLine($"unary: {unary:F0} calls/s ({concurrency} in flight)");
var streamed = await new TransportLoad(channel, duration, streams, payload).StreamedMessagesPerSecondAsync();
Console.WriteLine($"server streaming: {streamed:F0} messages/s ({streams} streams)");

if (app is not null)
{
    await app.StopAsync();
    await app.DisposeAsync();
}

return 0;
