using System.Globalization;
using Chronoq.Core;
using Chronoq.Core.Storage;

namespace Chronoq.Benchmarks.Engine;

/// <summary>
/// <c>engine-memory [jobs]</c>: retained managed heap per delayed job (metadata only: empty bodies,
/// no keys) after putting <c>jobs</c> delayed jobs into an in-process engine on the memory store.
/// The unit test <c>DelayedJobMemoryTests</c> checks 1 M jobs; this verb also reaches 10 M, which
/// is too heavy for a test run.
/// </summary>
public static class DelayedJobMemoryRun
{
    public const string Command = "engine-memory";

    public static async Task RunAsync(string[] args)
    {
        var jobs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
        const int batch = 10_000;
        var options = EngineOptions.Default with { MaxBatchItems = batch, MaxJobs = Math.Max(jobs + 1, EngineOptions.Default.MaxJobs) };
        await using var engine = await ChronoqEngine.StartAsync(options, new MemoryJobStore(), TimeProvider.System);
        var specs = new JobSpec[batch];
        var random = new Random(3);

        // Warm up: the topic, the pools and the channel exist before the first measurement.
        Check((await engine.PutAsync(new JobSpec { Topic = "t", Delay = TimeSpan.FromDays(30) })).Status);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (var done = 0; done < jobs; done += batch)
        {
            var count = Math.Min(batch, jobs - done);
            if (count != specs.Length)
            {
                specs = new JobSpec[count];
            }

            for (var i = 0; i < count; i++)
            {
                specs[i] = new JobSpec { Topic = "t", Delay = TimeSpan.FromMilliseconds(random.Next(3_600_000, 7 * 86_400_000)) };
            }

            Check((await engine.PutBatchAsync(specs)).Status);
        }

        Array.Clear(specs);
        var after = GC.GetTotalMemory(forceFullCollection: true);
        var stats = await engine.GetTopicStatsAsync("t");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{jobs:N0} delayed jobs (topic reports {stats.Value.Delayed:N0}): retained {(after - before) / (double)jobs:F1} bytes per job (heap {before:N0} -> {after:N0})"));
    }

    private static void Check(EngineStatus status)
    {
        if (!status.IsOk)
        {
            throw new InvalidOperationException(status.Message);
        }
    }
}
