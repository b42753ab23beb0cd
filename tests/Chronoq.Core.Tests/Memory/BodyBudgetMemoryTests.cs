using Chronoq.Core.Storage;
using Chronoq.Core.Tests.Support;
using Xunit.Abstractions;

namespace Chronoq.Core.Tests.Memory;

/// <summary>
/// The body budget bounds memory: retained heap after putting jobs with 1 KiB bodies into an engine
/// on a durable store, with no budget and with a small one.
/// </summary>
[Collection(HeapMeasurementCollection.Name)]
public sealed class BodyBudgetMemoryTests
{
    private const int Jobs = 50_000;
    private const int BodyBytes = 1024;
    private const int Budget = 256 * 1024;

    private readonly ITestOutputHelper _output;

    public BodyBudgetMemoryTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task FiftyThousandOneKiBBodies_SmallBudget_RetainsMetadataOnlyWhileNoBudgetRetainsEveryBody()
    {
        // The small one first: whatever of a stopped engine is still reachable for a moment (its
        // pooled commands) then weighs little on the next measurement.
        var budgeted = await RetainedBytesAsync(Budget);
        var unlimited = await RetainedBytesAsync(budget: 0);
        _output.WriteLine($"{Jobs:N0} jobs x {BodyBytes} B retained: no budget {unlimited:N0} B, budget {Budget:N0} B -> {budgeted:N0} B");

        // Without a budget every body stays: at least the bodies' bytes.
        Assert.True(unlimited >= (long)Jobs * BodyBytes, $"no budget retained only {unlimited:N0} B");
        // With one: the budget plus metadata (well under 150 B a job), far from the bodies' 50 MiB.
        Assert.True(budgeted <= Budget + (Jobs * 150L), $"a {Budget:N0}-byte budget retained {budgeted:N0} B");
    }

    private static Task<long> RetainedBytesAsync(long budget) => HeapMeasurement.OnEngineOfItsOwnAsync(
        () => EngineHarness.StartAsync(new BodylessDurableStore(), EngineOptions.Default with { BodyCacheBytes = budget }),
        PutAndMeasureAsync);

    private static async Task<long> PutAndMeasureAsync(EngineHarness h)
    {
        await h.Put("t"); // the topic, pools and channel exist before the first measurement
        var before = HeapMeasurement.LiveBytes();
        var specs = new JobSpec[1_000];
        for (var done = 0; done < Jobs; done += specs.Length)
        {
            for (var i = 0; i < specs.Length; i++)
            {
                specs[i] = new JobSpec { Topic = "t", Body = new byte[BodyBytes] };
            }

            Assert.True((await EngineHarness.Wait(h.Engine.PutBatchAsync(specs))).IsOk);
        }

        Array.Clear(specs);
        var after = HeapMeasurement.LiveBytes();
        Assert.Equal((ulong)Jobs + 1, (await h.Stats("t")).Ready);
        return after - before;
    }

    /// <summary>Durable as far as the engine can tell, but keeps nothing, so only the engine's own copies count.</summary>
    private sealed class BodylessDurableStore : IJobStore
    {
        public string Kind => "postgres";

        public Task<RecoveredState> RecoverAsync(CancellationToken cancellationToken) => Task.FromResult(RecoveredState.Empty);

        public ValueTask CommitAsync(MutationBatch batch, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask<ReadOnlyMemory<byte>[]> ReadBodiesAsync(IReadOnlyList<ulong> ids, CancellationToken cancellationToken) =>
            ValueTask.FromResult(ids.Select(_ => (ReadOnlyMemory<byte>)new byte[BodyBytes]).ToArray());

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
