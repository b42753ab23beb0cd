using System.Text;
using Chronoq.Protocol.Grpc;
using Chronoq.Protocol.V1;
using Chronoq.Sdk.Tests.Support;

namespace Chronoq.Sdk.Tests.Integration;

[Collection(ServerCollection.Name)]
public sealed class ChronoqClientTests(ServerFixture fixture) : IAsyncLifetime
{
    private readonly ChronoqClient _client = fixture.CreateClient();
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(20));

    private CancellationToken Token => _timeout.Token;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        _timeout.Dispose();
    }

    [Fact]
    public async Task PutAsync_ReadyJob_PeekShowsItReadyWithBodyAndHeaders()
    {
        var topic = TestTopics.Unique("put");

        var put = await _client.PutAsync(topic, "hello"u8.ToArray(), new PutOptions { Priority = 7, Headers = new Dictionary<string, string> { ["tenant"] = "acme" } }, Token);
        var job = await _client.PeekAsync(put.Id, Token);

        Assert.True(put.Created);
        Assert.NotNull(job);
        Assert.Equal(JobState.Ready, job.State);
        Assert.Equal("hello", job.Body.ToStringUtf8());
        Assert.Equal(7u, job.Priority);
        Assert.Equal("acme", job.Headers["tenant"]);
    }

    [Fact]
    public async Task PutAsync_LiveKeyTwice_ReturnsTheFirstIdNotCreated()
    {
        var topic = TestTopics.Unique("key");

        var first = await _client.PutAsync(topic, "a"u8.ToArray(), new PutOptions { Key = "order-1" }, Token);
        var second = await _client.PutAsync(topic, "b"u8.ToArray(), new PutOptions { Key = "order-1" }, Token);

        Assert.True(first.Created);
        Assert.False(second.Created);
        Assert.Equal(first.Id, second.Id);
    }

    [Fact]
    public async Task PutAsync_WithDelay_IsDelayedUntilKickJob()
    {
        var topic = TestTopics.Unique("delay");
        var put = await _client.PutAsync(topic, "x"u8.ToArray(), new PutOptions { Delay = TimeSpan.FromHours(1) }, Token);
        Assert.Equal(JobState.Delayed, (await _client.PeekAsync(put.Id, Token))!.State);

        await _client.KickJobAsync(put.Id, Token);

        Assert.Equal(JobState.Ready, (await _client.PeekAsync(put.Id, Token))!.State);
    }

    [Fact]
    public async Task PutAsync_RunAtInTheFuture_IsDelayed()
    {
        var topic = TestTopics.Unique("runat");

        var put = await _client.PutAsync(topic, "x"u8.ToArray(), new PutOptions { RunAt = DateTimeOffset.UtcNow.AddDays(1) }, Token);

        Assert.Equal(JobState.Delayed, (await _client.PeekAsync(put.Id, Token))!.State);
    }

    [Fact]
    public async Task PutBatchAsync_ThreeJobs_ResultsInRequestOrder()
    {
        var topic = TestTopics.Unique("batch");
        var jobs = Enumerable.Range(0, 3).Select(i => new PutRequest { Topic = topic, Body = Google.Protobuf.ByteString.CopyFromUtf8($"job {i}") });

        var results = await _client.PutBatchAsync(jobs, Token);

        Assert.Equal(3, results.Count);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal($"job {i}", (await _client.PeekAsync(results[i].Id, Token))!.Body.ToStringUtf8());
        }
    }

    [Fact]
    public async Task ReserveOneAsync_ReadyJob_ReturnsHandleWhoseDeleteRemovesTheJob()
    {
        var topic = TestTopics.Unique("one");
        var put = await _client.PutAsync(topic, "x"u8.ToArray(), cancellationToken: Token);

        var handle = await _client.ReserveOneAsync(topic, TimeSpan.FromSeconds(5), Token);
        Assert.NotNull(handle);
        Assert.Equal(put.Id, handle.Id);
        Assert.NotEqual(0ul, handle.Reservation);
        Assert.Equal(1, handle.Attempt);
        Assert.Equal(JobState.Reserved, (await _client.PeekAsync(put.Id, Token))!.State);
        await handle.DeleteAsync(Token);

        Assert.True(handle.IsSettled);
        Assert.Null(await _client.PeekAsync(put.Id, Token));
    }

    [Fact]
    public async Task ReserveOneAsync_EmptyTopic_ReturnsNullAfterTheTimeout()
    {
        var handle = await _client.ReserveOneAsync(TestTopics.Unique("empty"), TimeSpan.FromMilliseconds(200), Token);

        Assert.Null(handle);
    }

    [Fact]
    public async Task ReserveAsync_SeveralJobs_StreamsThemMostUrgentFirst()
    {
        var topic = TestTopics.Unique("stream");
        var low = await _client.PutAsync(topic, "low"u8.ToArray(), new PutOptions { Priority = 10 }, Token);
        var high = await _client.PutAsync(topic, "high"u8.ToArray(), new PutOptions { Priority = 1 }, Token);
        var seen = new List<ulong>();

        await foreach (var job in _client.ReserveAsync(topic, cancellationToken: Token))
        {
            seen.Add(job.Id);
            await job.DeleteAsync(Token);
            if (seen.Count == 2)
            {
                break;
            }
        }

        Assert.Equal([high.Id, low.Id], seen);
    }

    [Fact]
    public async Task ReserveAsync_LeavingTheLoop_ReturnsHeldJobsToReady()
    {
        var topic = TestTopics.Unique("leave");
        var put = await _client.PutAsync(topic, "x"u8.ToArray(), cancellationToken: Token);

        await foreach (var job in _client.ReserveAsync(topic, cancellationToken: Token))
        {
            Assert.Equal(put.Id, job.Id);
            break;
        }

        await Eventually.MatchAsync(() => _client.PeekAsync(put.Id, Token), static job => job?.State == JobState.Ready, TimeSpan.FromSeconds(5), "the job back to READY");
    }

    [Fact]
    public async Task ReleaseAsync_WithDelay_MakesTheJobDelayed()
    {
        var topic = TestTopics.Unique("release");
        var put = await _client.PutAsync(topic, "x"u8.ToArray(), cancellationToken: Token);
        var handle = (await _client.ReserveOneAsync(topic, TimeSpan.FromSeconds(5), Token))!;

        await handle.ReleaseAsync(TimeSpan.FromHours(1), priority: 3, cancellationToken: Token);

        var job = (await _client.PeekAsync(put.Id, Token))!;
        Assert.Equal(JobState.Delayed, job.State);
        Assert.Equal(3u, job.Priority);
        Assert.Equal(1u, job.Releases);
    }

    [Fact]
    public async Task BuryAsync_ThenKickAsync_BuriedJobIsReadyAgain()
    {
        var topic = TestTopics.Unique("bury");
        var put = await _client.PutAsync(topic, "x"u8.ToArray(), cancellationToken: Token);
        var handle = (await _client.ReserveOneAsync(topic, TimeSpan.FromSeconds(5), Token))!;

        await handle.BuryAsync(cancellationToken: Token);
        Assert.Equal(JobState.Buried, (await _client.PeekNextAsync(topic, JobState.Buried, Token))!.State);
        var kicked = await _client.KickAsync(topic, 10, Token);

        Assert.Equal(1u, kicked);
        var job = (await _client.PeekAsync(put.Id, Token))!;
        Assert.Equal(JobState.Ready, job.State);
        Assert.Equal(1u, job.Buries);
        Assert.Equal(1u, job.Kicks);
    }

    [Fact]
    public async Task TouchAsync_ReservedJob_MovesTheDeadline()
    {
        var topic = TestTopics.Unique("touch");
        await _client.PutAsync(topic, "x"u8.ToArray(), new PutOptions { Ttr = TimeSpan.FromSeconds(30) }, Token);
        var handle = (await _client.ReserveOneAsync(topic, TimeSpan.FromSeconds(5), Token))!;
        var before = handle.Deadline;
        await Task.Delay(TimeSpan.FromMilliseconds(50), Token);

        var after = await handle.TouchAsync(Token);

        Assert.True(after > before, $"{after:O} should be after {before:O}");
        Assert.Equal(after, handle.Deadline);
        await handle.DeleteAsync(Token);
    }

    [Fact]
    public async Task ReserveJobAsync_BuriedJob_ReservesItAndAWrongReservationCannotDelete()
    {
        var topic = TestTopics.Unique("reservejob");
        var put = await _client.PutAsync(topic, "x"u8.ToArray(), cancellationToken: Token);
        await (await _client.ReserveOneAsync(topic, TimeSpan.FromSeconds(5), Token))!.BuryAsync(cancellationToken: Token);

        var handle = await _client.ReserveJobAsync(put.Id, Token);
        var wrong = await Assert.ThrowsAsync<RpcException>(() => _client.DeleteAsync(put.Id, handle.Reservation + 1, Token));
        var again = await Assert.ThrowsAsync<RpcException>(() => _client.ReserveJobAsync(put.Id, Token));
        await handle.DeleteAsync(Token);

        Assert.Equal(put.Id, handle.Id);
        Assert.Equal(StatusCode.FailedPrecondition, wrong.StatusCode);
        Assert.Equal(StatusCode.FailedPrecondition, again.StatusCode);
        Assert.Null(await _client.PeekAsync(put.Id, Token));
    }

    [Fact]
    public async Task DeleteByKeyAsync_LiveKeyThenGone_TrueThenFalse()
    {
        var topic = TestTopics.Unique("bykey");
        var put = await _client.PutAsync(topic, "x"u8.ToArray(), new PutOptions { Key = "undo-me", Delay = TimeSpan.FromMinutes(5) }, Token);

        Assert.True(await _client.DeleteByKeyAsync(topic, "undo-me", Token));
        Assert.False(await _client.DeleteByKeyAsync(topic, "undo-me", Token));
        Assert.Null(await _client.PeekAsync(put.Id, Token));
    }

    [Fact]
    public async Task DeleteAsync_UnknownId_ThrowsNotFound()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => _client.DeleteAsync(ulong.MaxValue - 1, 0, Token));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task DeleteBatchAsync_OneKnownOneUnknown_AnswersEachJob()
    {
        var topic = TestTopics.Unique("delbatch");
        var put = await _client.PutAsync(topic, "x"u8.ToArray(), cancellationToken: Token);

        var results = await _client.DeleteBatchAsync([new DeleteRequest { Id = put.Id }, new DeleteRequest { Id = ulong.MaxValue - 2 }], Token);

        Assert.Equal(StatusCode.OK, results[0].Code);
        Assert.Equal(StatusCode.NotFound, results[1].Code);
    }

    [Fact]
    public async Task PeekAsync_UnknownId_ReturnsNull()
    {
        Assert.Null(await _client.PeekAsync(ulong.MaxValue - 3, Token));
    }

    [Fact]
    public async Task PeekNextAsync_ReadyAndDelayed_ReturnsEachAndNullWhenNone()
    {
        var topic = TestTopics.Unique("peeknext");
        Assert.Null(await _client.PeekNextAsync(topic, JobState.Ready, Token));
        var ready = await _client.PutAsync(topic, "r"u8.ToArray(), cancellationToken: Token);
        var delayed = await _client.PutAsync(topic, "d"u8.ToArray(), new PutOptions { Delay = TimeSpan.FromHours(1) }, Token);

        Assert.Equal(ready.Id, (await _client.PeekNextAsync(topic, JobState.Ready, Token))!.Id);
        Assert.Equal(delayed.Id, (await _client.PeekNextAsync(topic, JobState.Delayed, Token))!.Id);
        Assert.Null(await _client.PeekNextAsync(topic, JobState.Buried, Token));
    }

    [Fact]
    public async Task Stats_AfterPuts_CountTheJobs()
    {
        var topic = TestTopics.Unique("stats");
        await _client.PutAsync(topic, "a"u8.ToArray(), cancellationToken: Token);
        await _client.PutAsync(topic, "b"u8.ToArray(), new PutOptions { Delay = TimeSpan.FromHours(1) }, Token);

        var stats = await _client.GetTopicStatsAsync(topic, Token);
        var topics = await _client.ListTopicsAsync(Token);
        var server = await _client.GetServerStatsAsync(Token);

        Assert.Equal(topic, stats.Name);
        Assert.Equal(1ul, stats.Ready);
        Assert.Equal(1ul, stats.Delayed);
        Assert.Equal(2ul, stats.TotalPuts);
        Assert.Contains(topics, t => t.Name == topic);
        Assert.Equal("memory", server.Storage);
        Assert.True(server.TotalPuts >= 2);
    }

    [Fact]
    public async Task PauseTopicAsync_PausedTopic_NothingIsReservedUntilUnpaused()
    {
        var topic = TestTopics.Unique("pause");
        await _client.PutAsync(topic, "x"u8.ToArray(), cancellationToken: Token);

        await _client.PauseTopicAsync(topic, TimeSpan.FromMinutes(5), Token);
        var whilePaused = await _client.ReserveOneAsync(topic, TimeSpan.FromMilliseconds(200), Token);
        await _client.PauseTopicAsync(topic, TimeSpan.Zero, Token);
        var afterwards = await _client.ReserveOneAsync(topic, TimeSpan.FromSeconds(5), Token);

        Assert.Null(whilePaused);
        Assert.NotNull(afterwards);
        await afterwards.DeleteAsync(Token);
    }

    [Fact]
    public async Task PutAsync_ActiveTrace_CarriesTraceparentInTheHeaders()
    {
        var topic = TestTopics.Unique("trace");
        using var activity = new System.Diagnostics.Activity("test-parent").SetIdFormat(System.Diagnostics.ActivityIdFormat.W3C).Start();

        var put = await _client.PutAsync(topic, "x"u8.ToArray(), cancellationToken: Token);

        var job = (await _client.PeekAsync(put.Id, Token))!;
        Assert.StartsWith("00-" + activity.TraceId.ToHexString() + "-", job.Headers[ChronoqTelemetry.TraceParentHeader], StringComparison.Ordinal);
    }

    [Fact]
    public async Task PutAsync_CancelledToken_ThrowsOperationCanceled()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _client.PutAsync(TestTopics.Unique("cancel"), Encoding.UTF8.GetBytes("x"), cancellationToken: cancelled.Token));
    }

    [Fact]
    public async Task ReserveOneAsync_CancelledWhileWaiting_ThrowsOperationCanceledPromptly()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var started = DateTime.UtcNow;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _client.ReserveOneAsync(TestTopics.Unique("wait"), TimeSpan.FromSeconds(30), cancel.Token));

        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Authentication_Hook_AddsHeadersToEveryCallAndAFailingHookFailsTheCallUnauthenticated()
    {
        var methods = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var authenticated = fixture.CreateClient(o => o with
        {
            Authentication = (method, headers, _) =>
            {
                methods.Enqueue(method);
                headers.Add("authorization", "Bearer test-token");
                return ValueTask.CompletedTask;
            },
        });
        await using var failing = fixture.CreateClient(o => o with
        {
            Authentication = static (_, _, _) => throw new InvalidOperationException("token store unreachable"),
        });

        await authenticated.PutAsync(TestTopics.Unique("auth"), "x"u8.ToArray(), cancellationToken: Token);
        var error = await Assert.ThrowsAsync<RpcException>(() => failing.GetServerStatsAsync(Token));

        Assert.Contains("/chronoq.v1.Chronoq/Put", methods);
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }
}
