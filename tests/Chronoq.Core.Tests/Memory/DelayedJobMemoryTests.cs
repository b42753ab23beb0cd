using Chronoq.Core.Tests.Support;
using Xunit.Abstractions;

namespace Chronoq.Core.Tests.Memory;

/// <summary>
/// Measures the memory the engine keeps per delayed job (metadata only: empty bodies, no keys):
/// retained heap after putting a million delayed jobs, divided by a million.
/// </summary>
[Collection(HeapMeasurementCollection.Name)]
public sealed class DelayedJobMemoryTests
{
    private readonly ITestOutputHelper _output;

    public DelayedJobMemoryTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task MillionDelayedJobs_RetainedBytesPerJob_StayWithinBudget()
    {
        const int jobs = 1_000_000;
        const int batch = 10_000;
        await HeapMeasurement.OnEngineOfItsOwnAsync(
            () => EngineHarness.StartAsync(options: EngineOptions.Default with { MaxBatchItems = batch }),
            async h =>
            {
                var specs = new JobSpec[batch];
                var random = new Random(3);

                // Warm up: the topic, the pools and the channel exist before the first measurement.
                await h.Put("t", delay: TimeSpan.FromDays(30));
                var before = HeapMeasurement.LiveBytes();
                for (var done = 0; done < jobs; done += batch)
                {
                    for (var i = 0; i < batch; i++)
                    {
                        specs[i] = new JobSpec { Topic = "t", Delay = TimeSpan.FromMilliseconds(random.Next(1_000, 7 * 86_400_000)) };
                    }

                    Assert.True((await EngineHarness.Wait(h.Engine.PutBatchAsync(specs))).IsOk);
                }

                Array.Clear(specs);
                var after = HeapMeasurement.LiveBytes();
                var perJob = (after - before) / (double)jobs;
                _output.WriteLine($"retained bytes per delayed job: {perJob:F1} (heap {before:N0} -> {after:N0})");
                Assert.Equal((ulong)jobs + 1, (await h.Stats("t")).Delayed);

                // Per job: slot 32 B (one array, 2^20 slots here: x 1.05), ready-at 8 B and body reference
                // 8 B (4096-element chunks, under 0.5 % unused), delayed-heap entry 4 B (x 1.05), id index
                // 4 B (pages of a direct map), plus the batch-sized buffers the engine keeps (the undo log):
                // about 61 B.
                Assert.InRange(perJob, 16, 64);
                return perJob;
            });
    }
}
