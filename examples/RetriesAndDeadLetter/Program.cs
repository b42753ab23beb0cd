// Retries with backoff, then the dead-letter pile: a job that keeps failing is released with a
// growing delay, buried after its last attempt, inspected by an operator, and kicked back to
// READY once the cause is fixed.
//   dotnet run --project examples/RetriesAndDeadLetter -- --address http://127.0.0.1:50051
using System.Text;
using Chronoq.Protocol.V1;
using Chronoq.Sdk;

var address = args.SkipWhile(static a => a != "--address").Skip(1).FirstOrDefault() ?? "http://127.0.0.1:50051";
await using var client = new ChronoqClient(address);
var topic = $"examples.payments-{Guid.NewGuid():N}"[..30];
const int MaxAttempts = 3;
var baseDelay = TimeSpan.FromMilliseconds(250);

var put = await client.PutAsync(topic, "charge card 4242"u8.ToArray());
Console.WriteLine($"put job {put.Id}");

// The payment provider is down: every attempt fails.
while (true)
{
    var job = await client.ReserveOneAsync(topic, TimeSpan.FromSeconds(10));
    if (job is null)
    {
        Console.WriteLine("the job did not come back in time");
        return 1;
    }

    if (job.Attempt >= MaxAttempts)
    {
        await job.BuryAsync();
        Console.WriteLine($"attempt {job.Attempt} failed: buried job {job.Id} (the dead-letter pile)");
        break;
    }

    // Exponential backoff: 250 ms, 500 ms, ... The hosted worker adds jitter; see examples/HostedWorker.
    var delay = baseDelay * Math.Pow(2, job.Attempt - 1);
    await job.ReleaseAsync(delay);
    Console.WriteLine($"attempt {job.Attempt} failed: released job {job.Id} to retry in {delay.TotalMilliseconds} ms");
}

// An operator looks at the buried pile...
var buried = await client.PeekNextAsync(topic, JobState.Buried);
Console.WriteLine($"buried: job {buried!.Id} \"{buried.Body.ToStringUtf8()}\" reserves={buried.Reserves} releases={buried.Releases} buries={buried.Buries}");

// ...fixes the provider, and kicks the buried jobs back to READY.
var kicked = await client.KickAsync(topic, bound: 100);
Console.WriteLine($"kicked {kicked} job(s)");

var retried = await client.ReserveOneAsync(topic, TimeSpan.FromSeconds(5));
Console.WriteLine($"attempt {retried!.Attempt} of job {retried.Id} \"{Encoding.UTF8.GetString(retried.Body.Span)}\" succeeded");
await retried.DeleteAsync();
return 0;
