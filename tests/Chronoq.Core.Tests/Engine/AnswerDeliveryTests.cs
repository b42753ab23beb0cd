using Chronoq.Core.Storage;
using Chronoq.Core.Tests.Support;

namespace Chronoq.Core.Tests.Engine;

/// <summary>
/// Answers reach callers on the thread pool in batches, and a command a caller queues while its
/// batch is being delivered wakes the engine only when the batch ends. These tests run many
/// callers on the real engine thread so their answers share turns and batches.
/// </summary>
public sealed class AnswerDeliveryTests
{
    private static readonly string[] Topics = { "t" };

    [Fact]
    public async Task ManyCallers_EachChainingPutReserveDelete_AllCyclesSucceed_AndNoJobIsLeft()
    {
        await using var engine = await ChronoqEngine.StartAsync(EngineOptions.Default, new MemoryJobStore(), TimeProvider.System).WaitAsync(EngineHarness.Bound);
        const int callers = 64;
        const int cycles = 200;

        async Task<int> Caller()
        {
            var done = 0;
            for (var i = 0; i < cycles; i++)
            {
                var put = await engine.PutAsync(new JobSpec { Topic = "t" });
                var reserved = await engine.ReserveOneAsync(Topics, TimeSpan.FromSeconds(10));
                var job = reserved.Value ?? throw new InvalidOperationException("nothing reserved");
                Assert.True(put.IsOk);
                var deleted = await engine.DeleteAsync(job.Job.Id, job.Reservation);
                done += deleted.IsOk ? 1 : 0;
            }

            return done;
        }

        var results = await Task.WhenAll(Enumerable.Range(0, callers).Select(_ => Task.Run(Caller))).WaitAsync(EngineHarness.Bound);

        Assert.All(results, done => Assert.Equal(cycles, done));
        var stats = (await EngineHarness.Wait(engine.GetServerStatsAsync())).Value;
        Assert.Equal((ulong)(callers * cycles), stats.TotalPuts);
        Assert.Equal((ulong)(callers * cycles), stats.TotalDeletes);
        Assert.Equal(0UL, stats.Ready + stats.Reserved);
    }

    [Fact]
    public async Task CallerBlockingSynchronouslyInItsContinuation_ForItsNextCommand_IsStillAnswered()
    {
        await using var engine = await ChronoqEngine.StartAsync(EngineOptions.Default, new MemoryJobStore(), TimeProvider.System).WaitAsync(EngineHarness.Bound);
        const int callers = 4;

        // Each caller waits in a ReserveOne; one PutBatch then answers them all in one turn, so
        // their continuations run one after another in answer batches. Each continuation blocks
        // its thread (and so the rest of its batch) on a put, whose wake-up the batch would
        // otherwise pay only when it ends.
        async Task<bool> Caller(ValueTask<EngineResult<ReservedJob?>> reserve)
        {
            // ConfigureAwait(false): the test's synchronization context would run it elsewhere.
            var reserved = await reserve.ConfigureAwait(false);
            var put = engine.PutAsync(new JobSpec { Topic = "other" }).AsTask();
            return reserved.Value is not null && put.Wait(TimeSpan.FromSeconds(10)) && put.Result.IsOk;
        }

        var tasks = new Task<bool>[callers];
        for (var i = 0; i < callers; i++)
        {
            // Queued from this thread before the PutBatch, so the engine takes them first.
            tasks[i] = Caller(engine.ReserveOneAsync(Topics, TimeSpan.FromSeconds(10)));
        }

        var batch = await EngineHarness.Wait(engine.PutBatchAsync(Enumerable.Range(0, callers).Select(_ => new JobSpec { Topic = "t" }).ToArray()));
        var answered = await Task.WhenAll(tasks).WaitAsync(EngineHarness.Bound);

        Assert.True(batch.IsOk);
        Assert.All(answered, Assert.True);
        Assert.Equal((ulong)callers, (await EngineHarness.Wait(engine.GetTopicStatsAsync("other"))).Value.Ready);
    }

    [Fact]
    public async Task ContinuationBlockedInsideItsAnswerBatch_IdleLoopRunsNoTurnsMeanwhile()
    {
        await using var engine = await ChronoqEngine.StartAsync(EngineOptions.Default, new MemoryJobStore(), TimeProvider.System).WaitAsync(EngineHarness.Bound);
        using var blocked = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();

        // While a batch is out the loop looks at its queue every millisecond (a blocked caller may
        // have queued a command whose wake-up it owes); with nothing queued and no timer due that
        // look must not cost a turn.
        async Task Caller(ValueTask<EngineResult<ReservedJob?>> reserve)
        {
            await reserve.ConfigureAwait(false);
            blocked.Set();
            release.Wait(EngineHarness.Bound);
        }

        var callers = new[]
        {
            Caller(engine.ReserveOneAsync(Topics, TimeSpan.FromSeconds(10))),
            Caller(engine.ReserveOneAsync(Topics, TimeSpan.FromSeconds(10))),
        };
        Assert.True((await EngineHarness.Wait(engine.PutBatchAsync(new[] { new JobSpec { Topic = "t" }, new JobSpec { Topic = "t" } }))).IsOk);
        Assert.True(blocked.Wait(EngineHarness.Bound));

        var turnsBefore = engine.Turns;
        await Task.Delay(300);
        var idleTurns = engine.Turns - turnsBefore;
        release.Set();
        await Task.WhenAll(callers).WaitAsync(EngineHarness.Bound);

        Assert.True(idleTurns < 10, $"{idleTurns} turns in 300 ms with nothing to do");
    }
}
