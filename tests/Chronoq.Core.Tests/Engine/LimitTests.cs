using Chronoq.Core.Tests.Support;

namespace Chronoq.Core.Tests.Engine;

public sealed class LimitTests
{
    [Fact]
    public async Task DeleteBatch_TooManyItems_ResourceExhaustedAndNothingDeleted()
    {
        await using var h = await EngineHarness.StartAsync(options: EngineOptions.Default with { MaxBatchItems = 2 });
        var id = await h.Put("t");
        var result = await EngineHarness.Wait(h.Engine.DeleteBatchAsync(new[] { new DeleteTarget(id, 0), new DeleteTarget(id, 0), new DeleteTarget(id, 0) }));
        Assert.Equal(ErrorCode.ResourceExhausted, result.Status.Code);
        Assert.Equal(JobState.Ready, (await h.Peek(id)).State);
    }

    [Fact]
    public async Task PutBatch_TooManyOrNone_ExhaustedOrEmptyResult()
    {
        await using var h = await EngineHarness.StartAsync(options: EngineOptions.Default with { MaxBatchItems = 1 });
        var tooMany = await EngineHarness.Wait(h.Engine.PutBatchAsync(new[] { new JobSpec { Topic = "t" }, new JobSpec { Topic = "t" } }));
        Assert.Equal(ErrorCode.ResourceExhausted, tooMany.Status.Code);
        var none = await EngineHarness.Wait(h.Engine.PutBatchAsync(Array.Empty<JobSpec>()));
        Assert.Empty(none.Value);
        Assert.Equal(0UL, (await h.Stats("t")).TotalPuts);
    }

    [Fact]
    public async Task Touch_ReservedWithWrongToken_FailedPreconditionAndDeadlineUnchanged()
    {
        await using var h = await EngineHarness.StartAsync();
        var id = await h.Put("t", ttr: TimeSpan.FromSeconds(10));
        var r = await h.Reserve("t");
        await h.Advance(TimeSpan.FromSeconds(5));
        var touched = await EngineHarness.Wait(h.Engine.TouchAsync(id, r.Reservation + 1));
        Assert.Equal(ErrorCode.FailedPrecondition, touched.Status.Code);
        Assert.Equal(r.Deadline, (await h.Peek(id)).Deadline);
    }

    [Fact]
    public async Task Bury_WrongToken_FailedPreconditionAndStillReserved()
    {
        await using var h = await EngineHarness.StartAsync();
        var id = await h.Put("t");
        var r = await h.Reserve("t");
        Assert.Equal(ErrorCode.FailedPrecondition, (await EngineHarness.Wait(h.Engine.BuryAsync(id, r.Reservation + 7))).Code);
        Assert.Equal(ErrorCode.FailedPrecondition, (await EngineHarness.Wait(h.Engine.BuryAsync(id, 0))).Code);
        Assert.Equal(JobState.Reserved, (await h.Peek(id)).State);
        Assert.Equal(ErrorCode.NotFound, (await EngineHarness.Wait(h.Engine.BuryAsync(id + 100, 1))).Code);
    }

    [Fact]
    public async Task Kick_UnknownTopicOrZeroBound_KicksNothing()
    {
        await using var h = await EngineHarness.StartAsync();
        await h.Put("t", delay: TimeSpan.FromMinutes(1));
        Assert.Equal(0u, (await EngineHarness.Wait(h.Engine.KickAsync("nope", 10))).Value);
        Assert.Equal(0u, (await EngineHarness.Wait(h.Engine.KickAsync("t", 0))).Value);
        Assert.Equal(ErrorCode.InvalidArgument, (await EngineHarness.Wait(h.Engine.KickAsync("bad topic", 1))).Status.Code);
    }

    [Fact]
    public async Task OpenStream_NoTopics_InvalidNamingTopics()
    {
        await using var h = await EngineHarness.StartAsync();
        var result = await EngineHarness.Wait(h.Engine.OpenReservationStreamAsync(Array.Empty<string>()));
        Assert.Equal(ErrorCode.InvalidArgument, result.Status.Code);
        Assert.StartsWith("topics", result.Status.Message);
    }

    [Fact]
    public async Task Put_RunAtBeyondMaxDelay_InvalidNamingRunAt()
    {
        await using var h = await EngineHarness.StartAsync(options: EngineOptions.Default with { MaxDelay = TimeSpan.FromDays(1) });
        var result = await EngineHarness.Wait(h.Engine.PutAsync(new JobSpec { Topic = "t", RunAt = h.Now.AddDays(2) }));
        Assert.Equal(ErrorCode.InvalidArgument, result.Status.Code);
        Assert.StartsWith("run_at", result.Status.Message);
        var delay = await EngineHarness.Wait(h.Engine.PutAsync(new JobSpec { Topic = "t", Delay = TimeSpan.FromDays(2) }));
        Assert.StartsWith("delay", delay.Status.Message);
    }
}
