using Chronoq.Core.Tests.Support;

namespace Chronoq.Core.Tests.Engine;

public sealed class PutAndPeekTests
{
    [Fact]
    public async Task Peek_AfterPut_ReturnsJobWithBodyAndReadyState()
    {
        await using var h = await EngineHarness.StartAsync();
        var id = await h.Put("t", priority: 7, body: "hello", ttr: TimeSpan.FromSeconds(30));

        var job = await h.Peek(id);

        Assert.Equal(id, job.Id);
        Assert.Equal("t", job.Topic);
        Assert.Equal("hello", System.Text.Encoding.UTF8.GetString(job.Body.Span));
        Assert.Equal(7u, job.Priority);
        Assert.Equal(JobState.Ready, job.State);
        Assert.Equal(TimeSpan.FromSeconds(30), job.Ttr);
        Assert.Equal(h.Now, job.CreatedAt);
        Assert.Null(job.Deadline); // omit_time_left: a ready job has no deadline
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(12345UL)]
    [InlineData(ulong.MaxValue)]
    public async Task Peek_UnknownId_NotFound(ulong id)
    {
        await using var h = await EngineHarness.StartAsync();
        await h.Put("t");

        var result = await EngineHarness.Wait(h.Engine.PeekAsync(id));

        Assert.Equal(ErrorCode.NotFound, result.Status.Code);
    }

    [Fact]
    public async Task Put_MaxPriority_Accepted()
    {
        await using var h = await EngineHarness.StartAsync();
        var id = await h.Put("t", priority: uint.MaxValue);
        Assert.Equal(uint.MaxValue, (await h.Peek(id)).Priority);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(500)]
    [InlineData(999)]
    public async Task Put_TtrBelowOneSecond_StoredAsOneSecond(int ms)
    {
        await using var h = await EngineHarness.StartAsync();
        var id = await h.Put("t", ttr: TimeSpan.FromMilliseconds(ms));
        Assert.Equal(TimeSpan.FromSeconds(1), (await h.Peek(id)).Ttr);
    }

    [Fact]
    public async Task Put_TtrUnset_IsSixtySeconds()
    {
        await using var h = await EngineHarness.StartAsync();
        var id = await h.Put("t");
        Assert.Equal(TimeSpan.FromSeconds(60), (await h.Peek(id)).Ttr);
    }

    [Theory]
    [InlineData(120)]
    [InlineData(3600)]
    [InlineData(21600)]
    public async Task Put_LargeTtr_RoundTripsExactly(int seconds)
    {
        await using var h = await EngineHarness.StartAsync();
        var id = await h.Put("t", ttr: TimeSpan.FromSeconds(seconds));
        Assert.Equal(TimeSpan.FromSeconds(seconds), (await h.Peek(id)).Ttr);
    }

    /// <summary>
    /// beanstalkd's ttrlarge probes TTRs where its own representation once overflowed (4294-4297 s).
    /// Ours is whole milliseconds in an int: the largest round-trips exactly and its reservation
    /// runs out exactly at its deadline; anything past it, even by a fraction of a millisecond
    /// (rounded up), is refused naming ttr.
    /// </summary>
    [Fact]
    public async Task Put_LargestTtr_RoundTripsAndRunsOutAtItsDeadline_AnyMoreInvalidNamingTtr()
    {
        await using var h = await EngineHarness.StartAsync();
        var largest = TimeSpan.FromMilliseconds(int.MaxValue);
        var id = await h.Put("t", ttr: largest);
        Assert.Equal(largest, (await h.Peek(id)).Ttr);

        var reserved = await h.Reserve("t");
        Assert.Equal(h.Now + largest, reserved.Deadline);
        await h.Advance(largest - TimeSpan.FromMilliseconds(1));
        Assert.Equal(JobState.Reserved, (await h.Peek(id)).State);
        await h.Advance(TimeSpan.FromMilliseconds(1));
        var job = await h.Peek(id);
        Assert.Equal((JobState.Ready, 1u), (job.State, job.Timeouts));

        foreach (var over in new[] { TimeSpan.FromMilliseconds(1), TimeSpan.FromTicks(1) })
        {
            var result = await EngineHarness.Wait(h.Engine.PutAsync(new JobSpec { Topic = "t", Ttr = largest + over }));
            Assert.Equal(ErrorCode.InvalidArgument, result.Status.Code);
            Assert.StartsWith("ttr", result.Status.Message);
        }
    }

    [Fact]
    public async Task Put_ZeroAndSmallDelay_AcceptedAsReadyAndDelayed()
    {
        await using var h = await EngineHarness.StartAsync();
        var zero = await h.Put("t", delay: TimeSpan.Zero);
        var small = await h.Put("t", delay: TimeSpan.FromSeconds(1));

        Assert.Equal(JobState.Ready, (await h.Peek(zero)).State);
        var delayed = await h.Peek(small);
        Assert.Equal(JobState.Delayed, delayed.State);
        Assert.Equal(h.Now.AddSeconds(1), delayed.ReadyAt);
    }

    [Fact]
    public async Task Put_DelayedJob_BecomesReadyWhenDelayPasses()
    {
        await using var h = await EngineHarness.StartAsync();
        var id = await h.Put("t", delay: TimeSpan.FromSeconds(1));
        var before = await h.Stats("t");
        Assert.Equal((0UL, 1UL), (before.Ready, before.Delayed));

        await h.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Equal(JobState.Delayed, (await h.Peek(id)).State);
        await h.Advance(TimeSpan.FromMilliseconds(11));

        Assert.Equal(JobState.Ready, (await h.Peek(id)).State);
        var after = await h.Stats("t");
        Assert.Equal((1UL, 0UL), (after.Ready, after.Delayed));
    }

    [Fact]
    public async Task Put_RunAtInThePast_IsReadyNow()
    {
        await using var h = await EngineHarness.StartAsync();
        var result = await EngineHarness.Wait(h.Engine.PutAsync(new JobSpec { Topic = "t", RunAt = h.Now.AddHours(-1) }));
        Assert.Equal(JobState.Ready, (await h.Peek(result.Value.Id)).State);
    }

    [Fact]
    public async Task Put_RunAtInTheFuture_IsDelayedUntilThen()
    {
        await using var h = await EngineHarness.StartAsync();
        var at = h.Now.AddMinutes(5);
        var result = await EngineHarness.Wait(h.Engine.PutAsync(new JobSpec { Topic = "t", RunAt = at }));
        var job = await h.Peek(result.Value.Id);
        Assert.Equal((JobState.Delayed, at), (job.State, job.ReadyAt));
    }

    [Fact]
    public async Task Put_SameKeyTwice_ReturnsExistingIdAndChangesNothing()
    {
        await using var h = await EngineHarness.StartAsync();
        var first = await EngineHarness.Wait(h.Engine.PutAsync(new JobSpec { Topic = "t", Key = "order-1", Body = new byte[] { 1 }, Priority = 5 }));
        var second = await EngineHarness.Wait(h.Engine.PutAsync(new JobSpec { Topic = "t", Key = "order-1", Body = new byte[] { 2 }, Priority = 1, Delay = TimeSpan.FromHours(1) }));

        Assert.True(first.Value.Created);
        Assert.Equal(new PutResult(first.Value.Id, false), second.Value);
        var job = await h.Peek(first.Value.Id);
        Assert.Equal((5u, JobState.Ready, (byte)1, "order-1"), (job.Priority, job.State, job.Body.Span[0], job.Key));
        Assert.Equal(1UL, (await h.Stats("t")).TotalPuts);
    }

    [Fact]
    public async Task Put_SameKeyOtherTopic_CreatesNewJob()
    {
        await using var h = await EngineHarness.StartAsync();
        var a = await h.Put("a", key: "k");
        var b = await h.Put("b", key: "k");
        Assert.NotEqual(a, b);
    }

    [Fact]
    public async Task Put_KeyOfDeletedJob_CreatesNewJob()
    {
        await using var h = await EngineHarness.StartAsync();
        var a = await h.Put("t", key: "k");
        Assert.True((await EngineHarness.Wait(h.Engine.DeleteAsync(a))).IsOk);
        var b = await h.Put("t", key: "k");
        Assert.True(b > a);
    }

    [Fact]
    public async Task Put_Headers_AreKeptAndCopied()
    {
        await using var h = await EngineHarness.StartAsync();
        var headers = new Dictionary<string, string> { ["trace"] = "abc" };
        var result = await EngineHarness.Wait(h.Engine.PutAsync(new JobSpec { Topic = "t", Headers = headers }));
        headers["trace"] = "changed";

        var job = await h.Peek(result.Value.Id);
        Assert.Equal("abc", job.Headers!["trace"]);
    }

    [Fact]
    public async Task Put_Ids_IncreaseAndAreNeverReused()
    {
        await using var h = await EngineHarness.StartAsync();
        var seen = new HashSet<ulong>();
        ulong last = 0;
        for (var i = 0; i < 200; i++)
        {
            var id = await h.Put("t");
            Assert.True(id > last);
            Assert.True(seen.Add(id));
            last = id;
            if (i % 2 == 0)
            {
                Assert.True((await EngineHarness.Wait(h.Engine.DeleteAsync(id))).IsOk);
            }
        }
    }

    [Fact]
    public async Task Put_MoreThanMaxJobs_ResourceExhausted()
    {
        await using var h = await EngineHarness.StartAsync(options: EngineOptions.Default with { MaxJobs = 2 });
        await h.Put("t");
        await h.Put("t");
        var third = await EngineHarness.Wait(h.Engine.PutAsync(new JobSpec { Topic = "t" }));
        Assert.Equal(ErrorCode.ResourceExhausted, third.Status.Code);
    }

    [Fact]
    public async Task Put_BodyTooBig_ResourceExhaustedNamingBody()
    {
        await using var h = await EngineHarness.StartAsync(options: EngineOptions.Default with { MaxBodyBytes = 4 });
        var result = await EngineHarness.Wait(h.Engine.PutAsync(new JobSpec { Topic = "t", Body = new byte[5] }));
        Assert.Equal(ErrorCode.ResourceExhausted, result.Status.Code);
        Assert.StartsWith("body", result.Status.Message);
    }

    [Fact]
    public async Task PutBatch_Positions_DedupeKeysIncludingInsideTheBatch()
    {
        await using var h = await EngineHarness.StartAsync();
        var existing = await h.Put("t", key: "a");
        var result = await EngineHarness.Wait(h.Engine.PutBatchAsync(new[]
        {
            new JobSpec { Topic = "t", Key = "a" },
            new JobSpec { Topic = "t", Key = "b" },
            new JobSpec { Topic = "t" },
            new JobSpec { Topic = "t", Key = "b" },
        }));

        var r = result.Value;
        Assert.Equal(new PutResult(existing, false), r[0]);
        Assert.True(r[1].Created);
        Assert.True(r[2].Created);
        Assert.Equal(new PutResult(r[1].Id, false), r[3]);
        Assert.Equal(3UL, (await h.Stats("t")).Ready);
    }

    [Fact]
    public async Task PutBatch_OneInvalidItem_NothingApplied()
    {
        await using var h = await EngineHarness.StartAsync();
        var result = await EngineHarness.Wait(h.Engine.PutBatchAsync(new[]
        {
            new JobSpec { Topic = "t" },
            new JobSpec { Topic = "t" },
            new JobSpec { Topic = "t" },
            new JobSpec { Topic = "bad topic" },
        }));

        Assert.Equal(ErrorCode.InvalidArgument, result.Status.Code);
        Assert.StartsWith("jobs[3].topic", result.Status.Message);
        Assert.Equal(0UL, (await h.Stats("t")).TotalPuts);
    }

    [Fact]
    public async Task PutBatch_BeyondMaxJobs_NothingApplied()
    {
        await using var h = await EngineHarness.StartAsync(options: EngineOptions.Default with { MaxJobs = 3 });
        await h.Put("t");
        var result = await EngineHarness.Wait(h.Engine.PutBatchAsync(new[] { new JobSpec { Topic = "t" }, new JobSpec { Topic = "t" }, new JobSpec { Topic = "t" } }));
        Assert.Equal(ErrorCode.ResourceExhausted, result.Status.Code);
        Assert.Equal(1UL, (await h.Stats("t")).Ready);
    }

    [Fact]
    public async Task PeekNext_EachState_ReturnsMostUrgentSoonestOldest()
    {
        await using var h = await EngineHarness.StartAsync();
        var r1 = await h.Put("t", priority: 5);
        var r2 = await h.Put("t", priority: 2);
        var r3 = await h.Put("t", priority: 2);
        var d1 = await h.Put("t", delay: TimeSpan.FromSeconds(30));
        var d2 = await h.Put("t", delay: TimeSpan.FromSeconds(10));

        Assert.Equal(r2, (await EngineHarness.Wait(h.Engine.PeekNextAsync("t", JobState.Ready))).Value.Id);
        Assert.Equal(d2, (await EngineHarness.Wait(h.Engine.PeekNextAsync("t", JobState.Delayed))).Value.Id);
        Assert.Equal(ErrorCode.NotFound, (await EngineHarness.Wait(h.Engine.PeekNextAsync("t", JobState.Buried))).Status.Code);

        var a = await h.Reserve("t"); // r2
        var b = await h.Reserve("t"); // r3
        Assert.Equal((r2, r3), (a.Job.Id, b.Job.Id));
        await h.Advance(TimeSpan.FromSeconds(1));
        Assert.True((await EngineHarness.Wait(h.Engine.BuryAsync(b.Job.Id, b.Reservation))).IsOk);
        Assert.True((await EngineHarness.Wait(h.Engine.BuryAsync(a.Job.Id, a.Reservation))).IsOk);
        Assert.Equal(r3, (await EngineHarness.Wait(h.Engine.PeekNextAsync("t", JobState.Buried))).Value.Id);
        Assert.Equal(r1, (await EngineHarness.Wait(h.Engine.PeekNextAsync("t", JobState.Ready))).Value.Id);
        Assert.NotEqual(d1, d2);
    }

    [Fact]
    public async Task PeekNext_UnknownTopicOrBadState_NotFoundOrInvalid()
    {
        await using var h = await EngineHarness.StartAsync();
        Assert.Equal(ErrorCode.NotFound, (await EngineHarness.Wait(h.Engine.PeekNextAsync("nope", JobState.Ready))).Status.Code);
        var bad = await EngineHarness.Wait(h.Engine.PeekNextAsync("t", JobState.Reserved));
        Assert.Equal(ErrorCode.InvalidArgument, bad.Status.Code);
        Assert.StartsWith("state", bad.Status.Message);
    }
}
