// Put a job, reserve it, delete it; then stream a few jobs in priority order.
//   dotnet run --project examples/BasicPutReserve -- --address http://127.0.0.1:50051
using System.Text;
using Chronoq.Sdk;

var address = args.SkipWhile(static a => a != "--address").Skip(1).FirstOrDefault() ?? "http://127.0.0.1:50051";
await using var client = new ChronoqClient(address);
const string Topic = "examples.basic";

var put = await client.PutAsync(Topic, "hello, queue"u8.ToArray());
Console.WriteLine($"put job {put.Id}");

var job = await client.ReserveOneAsync(Topic, timeout: TimeSpan.FromSeconds(5));
if (job is null)
{
    Console.WriteLine("no job became ready within 5 s");
    return 1;
}

Console.WriteLine($"reserved job {job.Id}: \"{Encoding.UTF8.GetString(job.Body.Span)}\" (attempt {job.Attempt}, TTR deadline {job.Deadline:O})");
await job.DeleteAsync();
Console.WriteLine($"deleted job {job.Id}");

// Lower priority values are more urgent: the stream hands them out first.
foreach (var (text, priority) in new[] { ("later", 100u), ("urgent", 1u), ("normal", 50u) })
{
    await client.PutAsync(Topic, Encoding.UTF8.GetBytes(text), new PutOptions { Priority = priority });
}

using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
var handled = 0;
await foreach (var next in client.ReserveAsync(Topic, new ReserveOptions { Prefetch = 2 }, timeout.Token))
{
    Console.WriteLine($"stream: job {next.Id} \"{Encoding.UTF8.GetString(next.Body.Span)}\" priority {next.Job.Priority}");
    await next.DeleteAsync();
    if (++handled == 3)
    {
        break;
    }
}

var stats = await client.GetTopicStatsAsync(Topic);
Console.WriteLine($"topic {stats.Name}: {stats.Ready} ready, {stats.TotalPuts} put, {stats.TotalDeletes} deleted");
return 0;
