using System.Diagnostics;
using Chronoq.Protocol.Grpc;
using Chronoq.Protocol.V1;
using Chronoq.Testing;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using static Chronoq.Service.Tests.Api.ApiClient;

namespace Chronoq.Service.Tests.Api;

/// <summary>
/// The chronoq.v1.Chronoq contract (DESIGN.md "Rules") over a real Kestrel on loopback and our own
/// client transport. Each storage kind runs every test through a subclass.
/// </summary>
public abstract class ChronoqApiContractTests : IAsyncLifetime
{
    protected const string Topic = "orders";

    /// <summary>Bounds each test, so a hang fails instead of blocking the run.</summary>
    private readonly CancellationTokenSource _testTimeout = new(TimeSpan.FromSeconds(60));

    private LoopbackServer? _server;
    private ApiClient? _client;

    protected LoopbackServer Server => _server ?? throw new InvalidOperationException("not started");

    internal ApiClient Client => _client ?? throw new InvalidOperationException("not started");

    /// <summary>"memory" or "postgres".</summary>
    protected abstract string ExpectedStorage { get; }

    /// <summary>Configuration selecting the storage under test (a fresh, empty store per test).</summary>
    protected abstract Task<IReadOnlyDictionary<string, string?>> StorageConfigurationAsync(CancellationToken cancellationToken);

    public virtual async Task InitializeAsync()
    {
        var configuration = await StorageConfigurationAsync(_testTimeout.Token);
        _server = await StartServerAsync(configuration, _testTimeout.Token);
        _client = new ApiClient(_server.GrpcAddress);
    }

    public virtual async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _testTimeout.Dispose();
    }

    protected static Task<LoopbackServer> StartServerAsync(IReadOnlyDictionary<string, string?> configuration, CancellationToken cancellationToken) =>
        LoopbackServer.StartAsync(
            options =>
            {
                foreach (var (key, value) in configuration)
                {
                    options.Configuration[key] = value;
                }
            },
            cancellationToken);

    /// <summary>Restarts the server on the same storage and reconnects the client.</summary>
    protected async Task RestartServerAsync()
    {
        _client?.Dispose();
        await Server.DisposeAsync();
        _server = await StartServerAsync(await StorageConfigurationForRestartAsync(), _testTimeout.Token);
        _client = new ApiClient(_server.GrpcAddress);
    }

    /// <summary>The configuration of the current store, for a restart.</summary>
    protected virtual Task<IReadOnlyDictionary<string, string?>> StorageConfigurationForRestartAsync() =>
        throw new NotSupportedException("this storage does not survive a restart");

    protected static PutRequest Job(string body = "x", uint priority = 0, string topic = Topic) =>
        new() { Topic = topic, Body = ByteString.CopyFromUtf8(body), Priority = priority };

    protected async Task<ulong> PutAsync(string body = "x", uint priority = 0, string topic = Topic) =>
        (await Client.PutAsync(Job(body, priority, topic))).Id;

    protected async Task<ReservedJob> ReserveJobNowAsync(ulong id) => await Client.ReserveJobAsync(id);

    // ------------------------------------------------------------------ Put and Peek

    [Fact]
    public async Task Put_EveryField_PeekReturnsItExactly()
    {
        var before = DateTimeOffset.UtcNow;
        var request = Job("payload \u0001\u00ff", uint.MaxValue);
        request.Key = "order-42";
        request.Ttr = Duration.FromTimeSpan(TimeSpan.FromSeconds(120));
        request.Headers.Add("content-type", "application/json");
        request.Headers.Add("trace", "abc");

        var put = await Client.PutAsync(request);
        var after = DateTimeOffset.UtcNow;
        var job = await Client.PeekAsync(put.Id);

        Assert.True(put.Created);
        Assert.NotEqual(0UL, put.Id);
        Assert.Equal(put.Id, job.Id);
        Assert.Equal(Topic, job.Topic);
        Assert.Equal(request.Body, job.Body);
        Assert.Equal(uint.MaxValue, job.Priority);
        Assert.Equal(JobState.Ready, job.State);
        Assert.Equal(TimeSpan.FromSeconds(120), job.Ttr.ToTimeSpan());
        Assert.Equal("order-42", job.Key);
        Assert.Equal(2, job.Headers.Count);
        Assert.Equal("application/json", job.Headers["content-type"]);
        Assert.Equal("abc", job.Headers["trace"]);
        AssertWithin(job.CreatedAt, before, after);
        AssertWithin(job.ReadyAt, before, after);
        Assert.Equal(0u, job.Reserves + job.Timeouts + job.Releases + job.Buries + job.Kicks);
        Assert.Null(job.Deadline);
    }

    [Fact]
    public async Task Put_TtrRules_UnsetIs60sBelow1sIs1sLargeValuesExact()
    {
        async Task<TimeSpan> TtrOf(Duration? ttr)
        {
            var request = Job();
            request.Ttr = ttr;
            return (await Client.PeekAsync((await Client.PutAsync(request)).Id)).Ttr.ToTimeSpan();
        }

        Assert.Equal(TimeSpan.FromSeconds(60), await TtrOf(null));
        Assert.Equal(TimeSpan.FromSeconds(1), await TtrOf(new Duration()));
        Assert.Equal(TimeSpan.FromSeconds(1), await TtrOf(new Duration { Nanos = 500_000_000 }));
        foreach (var seconds in new[] { 120, 121, 3600, 21599, 21600 })
        {
            Assert.Equal(TimeSpan.FromSeconds(seconds), await TtrOf(Duration.FromTimeSpan(TimeSpan.FromSeconds(seconds))));
        }
    }

    [Fact]
    public async Task Put_DelayOrRunAt_DelayedUntilThenPastRunAtReadyNow()
    {
        var before = DateTimeOffset.UtcNow;
        var delayed = Job();
        delayed.Delay = Duration.FromTimeSpan(TimeSpan.FromHours(1));
        var delayedJob = await Client.PeekAsync((await Client.PutAsync(delayed)).Id);
        var after = DateTimeOffset.UtcNow;
        Assert.Equal(JobState.Delayed, delayedJob.State);
        AssertWithin(delayedJob.ReadyAt, before.AddHours(1), after.AddHours(1));

        var runAt = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.AddDays(2).ToUnixTimeMilliseconds());
        var scheduled = Job();
        scheduled.RunAt = Timestamp.FromDateTimeOffset(runAt);
        var scheduledJob = await Client.PeekAsync((await Client.PutAsync(scheduled)).Id);
        Assert.Equal(JobState.Delayed, scheduledJob.State);
        Assert.Equal(runAt, scheduledJob.ReadyAt.ToDateTimeOffset());

        var past = Job();
        past.RunAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(-1));
        var pastJob = await Client.PeekAsync((await Client.PutAsync(past)).Id);
        Assert.Equal(JobState.Ready, pastJob.State);

        var zero = Job();
        zero.Delay = new Duration();
        Assert.Equal(JobState.Ready, (await Client.PeekAsync((await Client.PutAsync(zero)).Id)).State);

        var stats = await Client.GetTopicStatsAsync(Topic);
        Assert.Equal((2UL, 2UL), (stats.Ready, stats.Delayed));
    }

    [Fact]
    public async Task Put_SmallDelay_BecomesReadyAfterIt()
    {
        var request = Job();
        request.Delay = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(300));
        var id = (await Client.PutAsync(request)).Id;
        Assert.Equal(JobState.Delayed, (await Client.PeekAsync(id)).State);

        var reserved = await Client.ReserveOneAsync(new ReserveOneRequest { Topics = { Topic }, Timeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(5)) });

        Assert.Equal(id, reserved.Job.Job.Id);
    }

    [Fact]
    public async Task Put_LiveKey_ReturnsExistingIdAndChangesNothing()
    {
        var first = Job("first", 5);
        first.Key = "k";
        var original = await Client.PutAsync(first);

        var second = Job("second", 1);
        second.Key = "k";
        second.Delay = Duration.FromTimeSpan(TimeSpan.FromHours(1));
        var again = await Client.PutAsync(second);

        Assert.True(original.Created);
        Assert.False(again.Created);
        Assert.Equal(original.Id, again.Id);
        var job = await Client.PeekAsync(original.Id);
        Assert.Equal("first", job.Body.ToStringUtf8());
        Assert.Equal((5u, JobState.Ready), (job.Priority, job.State));
        Assert.Equal(1UL, (await Client.GetTopicStatsAsync(Topic)).TotalPuts);

        // The same key in another topic is another job; a deleted job's key is free again.
        var other = Job("other", topic: "payments");
        other.Key = "k";
        Assert.True((await Client.PutAsync(other)).Created);
        await Client.DeleteAsync(original.Id);
        var reused = await Client.PutAsync(first);
        Assert.True(reused.Created);
        Assert.True(reused.Id > original.Id);
    }

    [Fact]
    public async Task Peek_UnknownId_NotFound()
    {
        await FailsAsync(StatusCode.NotFound, () => Client.PeekAsync(12345));
        await FailsAsync(StatusCode.NotFound, () => Client.PeekAsync(ulong.MaxValue));
    }

    // ------------------------------------------------------------------ PutBatch

    [Fact]
    public async Task PutBatch_OneBadJob_InvalidArgumentNamingItAndNothingStored()
    {
        var batch = new PutBatchRequest { Jobs = { Job("a"), Job("b"), Job("c") } };
        batch.Jobs[1].Ttr = new Duration { Seconds = -1 };
        await InvalidAsync("jobs[1].ttr", () => Client.PutBatchAsync(batch));

        batch.Jobs[1].Ttr = null;
        batch.Jobs[2].Topic = "bad topic";
        await InvalidAsync("jobs[2].topic", () => Client.PutBatchAsync(batch));

        batch.Jobs[2].Topic = Topic;
        batch.Jobs[0].Delay = new Duration { Seconds = 1, Nanos = -5 };
        await InvalidAsync("jobs[0].delay", () => Client.PutBatchAsync(batch));

        var stats = await Client.GetServerStatsAsync();
        Assert.Equal((0UL, 0UL, 0UL), (stats.TotalPuts, stats.Ready, stats.Delayed));
    }

    [Fact]
    public async Task PutBatch_KeysRepeated_ResultsInOrderDedupedPositionByPosition()
    {
        var existing = Job("existing");
        existing.Key = "a";
        var existingId = (await Client.PutAsync(existing)).Id;

        var batch = new PutBatchRequest();
        foreach (var (body, key) in new[] { ("1", "a"), ("2", "b"), ("3", ""), ("4", "b"), ("5", "c") })
        {
            var job = Job(body);
            job.Key = key;
            batch.Jobs.Add(job);
        }

        var results = (await Client.PutBatchAsync(batch)).Results;

        Assert.Equal(5, results.Count);
        Assert.Equal((existingId, false), (results[0].Id, results[0].Created));
        Assert.True(results[1].Created);
        Assert.True(results[2].Created);
        Assert.Equal((results[1].Id, false), (results[3].Id, results[3].Created));
        Assert.True(results[4].Created);
        Assert.True(results[1].Id < results[2].Id && results[2].Id < results[4].Id, "new ids follow request order");
        Assert.Equal("2", (await Client.PeekAsync(results[1].Id)).Body.ToStringUtf8());
        Assert.Equal(4UL, (await Client.GetTopicStatsAsync(Topic)).Ready);
    }

    [Fact]
    public async Task PutBatch_Empty_NoResults()
    {
        Assert.Empty((await Client.PutBatchAsync(new PutBatchRequest())).Results);
    }

    // ------------------------------------------------------------------ Reserve (streaming)

    [Fact]
    public async Task Reserve_Prefetch_NeverMoreOutstandingAndSlotFreesOnDeleteReleaseBury()
    {
        var ids = new List<ulong>();
        for (var i = 0; i < 6; i++)
        {
            ids.Add(await PutAsync($"job{i}"));
        }

        await using var stream = new ReserveStream(Client, new ReserveRequest { Topics = { Topic }, Prefetch = 2 });
        var first = await stream.NextJobAsync();
        var second = await stream.NextJobAsync();
        Assert.Equal([ids[0], ids[1]], new[] { first.Job.Id, second.Job.Id });
        Assert.NotEqual(0UL, first.Reservation);
        Assert.Equal(JobState.Reserved, first.Job.State);
        await stream.AssertQuietAsync(TimeSpan.FromMilliseconds(300));

        await Client.DeleteAsync(first.Job.Id, first.Reservation);
        var third = await stream.NextJobAsync();
        Assert.Equal(ids[2], third.Job.Id);
        await stream.AssertQuietAsync(TimeSpan.FromMilliseconds(200));

        await Client.BuryAsync(new BuryRequest { Id = second.Job.Id, Reservation = second.Reservation });
        Assert.Equal(ids[3], (await stream.NextJobAsync()).Job.Id);

        await Client.ReleaseAsync(new ReleaseRequest { Id = third.Job.Id, Reservation = third.Reservation, Delay = Duration.FromTimeSpan(TimeSpan.FromHours(1)) });
        Assert.Equal(ids[4], (await stream.NextJobAsync()).Job.Id);
        await stream.AssertQuietAsync(TimeSpan.FromMilliseconds(200));

        var stats = await Client.GetTopicStatsAsync(Topic);
        Assert.Equal((1UL, 1UL, 2UL, 1UL), (stats.Ready, stats.Delayed, stats.Reserved, stats.Buried));
    }

    [Fact]
    public async Task Reserve_StreamCancelled_HeldJobsReadyAtOnce()
    {
        var a = await PutAsync("a");
        var b = await PutAsync("b");
        var stream = new ReserveStream(Client, new ReserveRequest { Topics = { Topic }, Prefetch = 5 });
        await stream.NextJobAsync();
        await stream.NextJobAsync();
        Assert.Equal(2UL, (await Client.GetTopicStatsAsync(Topic)).Reserved);

        await stream.DisposeAsync();
        var clock = Stopwatch.StartNew();
        var again = await Client.ReserveOneAsync(new ReserveOneRequest { Topics = { Topic }, Timeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(10)) });

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"job came back after {clock.Elapsed}, far sooner than its 60 s TTR");
        Assert.Contains(again.Job.Job.Id, new[] { a, b });
        Assert.Equal(2u, again.Job.Job.Reserves);
        Assert.Equal(0u, again.Job.Job.Timeouts);
    }

    [Fact]
    public async Task Reserve_CallDeadlinePasses_HeldJobReadyAtOnce()
    {
        var id = await PutAsync();
        using var call = Client.Reserve(new ReserveRequest { Topics = { Topic } }, Chronoq.Sdk.Transport.CallOptions.WithTimeout(TimeSpan.FromSeconds(2)));
        Assert.True(await call.MoveNextAsync());
        Assert.Equal(id, call.Current.Job.Job.Id);

        var failure = await Assert.ThrowsAsync<RpcException>(async () => await call.MoveNextAsync());
        Assert.Equal(StatusCode.DeadlineExceeded, failure.StatusCode);
        await AssertBackSoonAsync(id);
    }

    [Fact]
    public async Task Reserve_ClientDisconnects_HeldJobReadyAtOnce()
    {
        var id = await PutAsync();
        using (var other = new ApiClient(Server.GrpcAddress))
        {
            var stream = new ReserveStream(other, new ReserveRequest { Topics = { Topic } });
            Assert.Equal(id, (await stream.NextJobAsync()).Job.Id);

            // The whole connection goes away, not just the stream.
            other.Dispose();
            await stream.DisposeAsync();
        }

        await AssertBackSoonAsync(id);
    }

    /// <summary>A job whose holder went away is reservable again well within its 60 s TTR.</summary>
    private async Task AssertBackSoonAsync(ulong id)
    {
        var clock = Stopwatch.StartNew();
        var again = await Client.ReserveOneAsync(new ReserveOneRequest { Topics = { Topic }, Timeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(10)) });
        Assert.Equal(id, again.Job.Job.Id);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"job came back after {clock.Elapsed}");
        Assert.Equal(0u, again.Job.Job.Timeouts);
    }

    [Fact]
    public async Task Reserve_ShortTtr_DeadlineSoonOnceThenJobComesBackAfterTimeout()
    {
        var request = Job();
        request.Ttr = Duration.FromTimeSpan(TimeSpan.FromSeconds(2));
        var id = (await Client.PutAsync(request)).Id;

        await using var stream = new ReserveStream(Client, new ReserveRequest { Topics = { Topic } });
        var reserved = await stream.NextJobAsync();
        var clock = Stopwatch.StartNew();
        var soon = await stream.NextAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(ReserveResponse.EventOneofCase.DeadlineSoon, soon.EventCase);
        Assert.Equal((id, reserved.Reservation), (soon.DeadlineSoon.Id, soon.DeadlineSoon.Reservation));
        Assert.Equal(reserved.Deadline, soon.DeadlineSoon.Deadline);
        Assert.True(clock.Elapsed > TimeSpan.FromMilliseconds(700), $"deadline_soon after {clock.Elapsed}, expected about 1 s before the 2 s TTR ends");

        // The TTR runs out: the slot frees and the same stream gets the job again, newly reserved.
        var again = await stream.NextJobAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(id, again.Job.Id);
        Assert.NotEqual(reserved.Reservation, again.Reservation);
        Assert.Equal((2u, 1u), (again.Job.Reserves, again.Job.Timeouts));
        await FailsAsync(StatusCode.FailedPrecondition, () => Client.DeleteAsync(id, reserved.Reservation));
        Assert.Equal(1UL, (await Client.GetTopicStatsAsync(Topic)).TotalTimeouts);
    }

    [Fact]
    public async Task Reserve_TtrAtMostOneSecond_DeadlineSoonFollowsTheJobAtOnce()
    {
        var request = Job();
        request.Ttr = new Duration();
        var id = (await Client.PutAsync(request)).Id;

        await using var stream = new ReserveStream(Client, new ReserveRequest { Topics = { Topic } });
        var reserved = await stream.NextJobAsync();
        var soon = await stream.NextAsync(TimeSpan.FromMilliseconds(500));

        Assert.Equal(TimeSpan.FromSeconds(1), reserved.Job.Ttr.ToTimeSpan());
        Assert.Equal(ReserveResponse.EventOneofCase.DeadlineSoon, soon.EventCase);
        Assert.Equal((id, reserved.Reservation), (soon.DeadlineSoon.Id, soon.DeadlineSoon.Reservation));
        await Client.DeleteAsync(id, reserved.Reservation);
    }

    [Fact]
    public async Task Reserve_TouchAfterDeadlineSoon_DeadlineSoonSentAgainForTheNewDeadline()
    {
        var request = Job();
        request.Ttr = Duration.FromTimeSpan(TimeSpan.FromSeconds(2));
        var id = (await Client.PutAsync(request)).Id;
        await using var stream = new ReserveStream(Client, new ReserveRequest { Topics = { Topic } });
        var reserved = await stream.NextJobAsync();
        Assert.Equal(ReserveResponse.EventOneofCase.DeadlineSoon, (await stream.NextAsync(TimeSpan.FromSeconds(5))).EventCase);

        var touched = await Client.TouchAsync(id, reserved.Reservation);
        var again = await stream.NextAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(ReserveResponse.EventOneofCase.DeadlineSoon, again.EventCase);
        Assert.Equal(touched.Deadline, again.DeadlineSoon.Deadline);
        Assert.Equal(reserved.Reservation, again.DeadlineSoon.Reservation);
        await Client.DeleteAsync(id, reserved.Reservation);
    }

    [Fact]
    public async Task Reserve_SeveralTopics_MostUrgentFirstThenLowestId()
    {
        var low = await PutAsync("low", 10, "a");
        var urgent = await PutAsync("urgent", 1, "b");
        var tieFirst = await PutAsync("tie1", 5, "b");
        var tieSecond = await PutAsync("tie2", 5, "a");
        await PutAsync("elsewhere", 0, "c");

        await using var stream = new ReserveStream(Client, new ReserveRequest { Topics = { "a", "b" }, Prefetch = 10 });
        var order = new List<ulong>();
        for (var i = 0; i < 4; i++)
        {
            order.Add((await stream.NextJobAsync()).Job.Id);
        }

        Assert.Equal([urgent, tieFirst, tieSecond, low], order);
        await stream.AssertQuietAsync(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task Reserve_JobPutLater_DeliveredToWaitingStream()
    {
        await using var stream = new ReserveStream(Client, new ReserveRequest { Topics = { Topic } });
        await stream.AssertQuietAsync(TimeSpan.FromMilliseconds(200));
        var id = await PutAsync();
        Assert.Equal(id, (await stream.NextJobAsync()).Job.Id);
    }

    // ------------------------------------------------------------------ ReserveOne, ReserveJob

    [Fact]
    public async Task ReserveOne_NothingReady_PollAnswersAtOnceAndTimeoutAfterIt()
    {
        var poll = await Client.ReserveOneAsync(new ReserveOneRequest { Topics = { Topic } });
        Assert.Null(poll.Job);

        var clock = Stopwatch.StartNew();
        var waited = await Client.ReserveOneAsync(new ReserveOneRequest { Topics = { Topic }, Timeout = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(500)) });
        Assert.Null(waited.Job);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(450), $"timed out after {clock.Elapsed}");

        var id = await PutAsync();
        var got = await Client.ReserveOneAsync(new ReserveOneRequest { Topics = { Topic } });
        Assert.Equal(id, got.Job.Job.Id);
        Assert.Equal(JobState.Reserved, (await Client.PeekAsync(id)).State);
        AssertWithin(got.Job.Deadline, DateTimeOffset.UtcNow.AddSeconds(55), DateTimeOffset.UtcNow.AddSeconds(60));
    }

    [Fact]
    public async Task ReserveOne_BlockedOnOneConnection_OtherConnectionServedAndTimeoutAnsweredOnTime()
    {
        using var blockedClient = new ApiClient(Server.GrpcAddress);
        var clock = Stopwatch.StartNew();
        var blocked = blockedClient.ReserveOneAsync(new ReserveOneRequest { Topics = { Topic }, Timeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(2)) });

        // Another connection is answered while the reserve waits (its waiting count proves it still waits).
        while ((await Client.GetTopicStatsAsync(Topic)).Waiting != 1)
        {
            Assert.False(blocked.IsCompleted, "the reserve ended before it was seen waiting");
            await Task.Delay(20);
        }

        var elsewhere = await PutAsync(topic: "elsewhere");
        Assert.Equal(elsewhere, (await Client.PeekAsync(elsewhere)).Id);

        Assert.Null((await blocked).Job);
        // Generous above: a busy 2-core CI machine may be slow to run the answer, not the wait.
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(1950), $"timed out after {clock.Elapsed}, before its 2 s");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(7), $"timed out after {clock.Elapsed}, long after its 2 s");
        Assert.Equal(0UL, (await Client.GetTopicStatsAsync(Topic)).Waiting);
    }

    [Fact]
    public async Task ReserveOne_CallDeadlineBeforeTimeout_DeadlineExceededAndWaiterGone()
    {
        var call = Client.ReserveOneAsync(
            new ReserveOneRequest { Topics = { Topic }, Timeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(30)) },
            Chronoq.Sdk.Transport.CallOptions.WithTimeout(TimeSpan.FromMilliseconds(1500)));

        // Seen waiting first (a fixed 100 ms was too short for a busy 2-core CI machine to get the
        // call to the engine); the deadline is long enough for that to happen well before it.
        while ((await Client.GetTopicStatsAsync(Topic)).Waiting != 1)
        {
            Assert.False(call.IsCompleted, "the ReserveOne ended before it was seen waiting");
            await Task.Delay(20);
        }

        await FailsAsync(StatusCode.DeadlineExceeded, () => call);

        var clock = Stopwatch.StartNew();
        while ((await Client.GetTopicStatsAsync(Topic)).Waiting != 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "the cancelled ReserveOne still waits in the engine");
            await Task.Delay(50);
        }

        // A job put now is not swallowed by the dead waiter.
        var id = await PutAsync();
        Assert.Equal(id, (await Client.ReserveOneAsync(new ReserveOneRequest { Topics = { Topic } })).Job.Job.Id);
    }

    [Fact]
    public async Task ReserveJob_ReadyDelayedBuried_ReservesEachAndReservedIsFailedPrecondition()
    {
        var ready = await PutAsync();
        var delayedRequest = Job();
        delayedRequest.Delay = Duration.FromTimeSpan(TimeSpan.FromHours(1));
        var delayed = (await Client.PutAsync(delayedRequest)).Id;
        var buried = await PutAsync();
        var held = await Client.ReserveJobAsync(buried);
        await Client.BuryAsync(new BuryRequest { Id = buried, Reservation = held.Reservation });

        foreach (var id in new[] { ready, delayed, buried })
        {
            var reserved = await Client.ReserveJobAsync(id);
            Assert.Equal((id, JobState.Reserved), (reserved.Job.Id, reserved.Job.State));
            Assert.NotEqual(0UL, reserved.Reservation);
            await FailsAsync(StatusCode.FailedPrecondition, () => Client.ReserveJobAsync(id));
        }

        await FailsAsync(StatusCode.NotFound, () => Client.ReserveJobAsync(999_999));
        Assert.Equal(3UL, (await Client.GetTopicStatsAsync(Topic)).Reserved);
    }

    [Fact]
    public async Task ReserveJob_NotTheMostUrgent_ReservesThatJobOnlyAndASecondReleaseFailedPrecondition()
    {
        var urgent = await PutAsync("A", priority: 0);
        var named = await PutAsync("B", priority: 10);

        var reserved = await Client.ReserveJobAsync(named);

        Assert.Equal((named, "B", JobState.Reserved, 1u), (reserved.Job.Id, reserved.Job.Body.ToStringUtf8(), reserved.Job.State, reserved.Job.Reserves));
        Assert.Equal(JobState.Ready, (await Client.PeekAsync(urgent)).State);
        var stats = await Client.GetTopicStatsAsync(Topic);
        Assert.Equal((1UL, 1UL), (stats.Ready, stats.Reserved));

        await Client.ReleaseAsync(new ReleaseRequest { Id = named, Reservation = reserved.Reservation });
        Assert.Equal(JobState.Ready, (await Client.PeekAsync(named)).State);
        await FailsAsync(StatusCode.FailedPrecondition, () => Client.ReleaseAsync(new ReleaseRequest { Id = named, Reservation = reserved.Reservation }));

        // A plain reserve still takes the most urgent job.
        Assert.Equal(urgent, (await Client.ReserveOneAsync(new ReserveOneRequest { Topics = { Topic } })).Job.Job.Id);
    }

    [Fact]
    public async Task ReserveJob_TtrRunsOut_ReadyAgainWithTheTimeoutCountedAndTheReservationVoid()
    {
        var request = Job();
        request.Ttr = Duration.FromTimeSpan(TimeSpan.FromSeconds(1));
        var id = (await Client.PutAsync(request)).Id;
        var reserved = await Client.ReserveJobAsync(id);

        var again = await Client.ReserveOneAsync(new ReserveOneRequest { Topics = { Topic }, Timeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(10)) });

        Assert.Equal(id, again.Job.Job.Id);
        Assert.True(DateTimeOffset.UtcNow >= reserved.Deadline.ToDateTimeOffset().AddMilliseconds(-1), "reservable again before the TTR ran out");
        Assert.Equal((2u, 1u), (again.Job.Job.Reserves, again.Job.Job.Timeouts));
        Assert.NotEqual(reserved.Reservation, again.Job.Reservation);
        await FailsAsync(StatusCode.FailedPrecondition, () => Client.DeleteAsync(id, reserved.Reservation));
        Assert.Equal(1UL, (await Client.GetTopicStatsAsync(Topic)).TotalTimeouts);
        await Client.DeleteAsync(id, again.Job.Reservation);
    }

    // ------------------------------------------------------------------ Delete, DeleteBatch, DeleteByKey

    [Fact]
    public async Task Delete_ReservedJob_NeedsTheCurrentReservation()
    {
        var id = await PutAsync();
        var reserved = await Client.ReserveJobAsync(id);

        await FailsAsync(StatusCode.FailedPrecondition, () => Client.DeleteAsync(id));
        await FailsAsync(StatusCode.FailedPrecondition, () => Client.DeleteAsync(id, reserved.Reservation + 1));
        Assert.Equal(JobState.Reserved, (await Client.PeekAsync(id)).State);

        await Client.DeleteAsync(id, reserved.Reservation);
        await FailsAsync(StatusCode.NotFound, () => Client.PeekAsync(id));
        await FailsAsync(StatusCode.NotFound, () => Client.DeleteAsync(id, reserved.Reservation));

        var ready = await PutAsync();
        await Client.DeleteAsync(ready);
        var stats = await Client.GetTopicStatsAsync(Topic);
        Assert.Equal((2UL, 0UL), (stats.TotalDeletes, stats.Ready));
    }

    [Fact]
    public async Task DeleteBatch_MixedItems_EachAnsweredAsDeleteAlone()
    {
        var ready = await PutAsync();
        var reservedId = await PutAsync();
        var reserved = await Client.ReserveJobAsync(reservedId);
        var other = await PutAsync();
        var held = await PutAsync();
        var heldReservation = (await Client.ReserveJobAsync(held)).Reservation;

        var response = await Client.DeleteBatchAsync(new DeleteBatchRequest
        {
            Jobs =
            {
                new DeleteRequest { Id = ready },
                new DeleteRequest { Id = reservedId, Reservation = reserved.Reservation },
                new DeleteRequest { Id = 424242 },
                new DeleteRequest { Id = held },
                new DeleteRequest { Id = ready },
            },
        });

        Assert.Equal(
            [(int)StatusCode.OK, (int)StatusCode.OK, (int)StatusCode.NotFound, (int)StatusCode.FailedPrecondition, (int)StatusCode.NotFound],
            response.Results.Select(r => r.Code));
        Assert.Equal("", response.Results[0].Message);
        Assert.NotEqual("", response.Results[2].Message);
        Assert.Equal(JobState.Ready, (await Client.PeekAsync(other)).State);
        Assert.Equal(JobState.Reserved, (await Client.PeekAsync(held)).State);
        await Client.DeleteAsync(held, heldReservation);
        Assert.Equal(3UL, (await Client.GetTopicStatsAsync(Topic)).TotalDeletes);
    }

    [Fact]
    public async Task DeleteByKey_LiveKeyDeletesNoneIsNotFoundReservedIsFailedPrecondition()
    {
        var request = Job();
        request.Key = "cancel-me";
        var id = (await Client.PutAsync(request)).Id;

        await FailsAsync(StatusCode.NotFound, () => Client.DeleteByKeyAsync(Topic, "nope"));
        await FailsAsync(StatusCode.NotFound, () => Client.DeleteByKeyAsync("other", "cancel-me"));
        var reserved = await Client.ReserveJobAsync(id);
        await FailsAsync(StatusCode.FailedPrecondition, () => Client.DeleteByKeyAsync(Topic, "cancel-me"));
        await Client.ReleaseAsync(new ReleaseRequest { Id = id, Reservation = reserved.Reservation });

        await Client.DeleteByKeyAsync(Topic, "cancel-me");
        await FailsAsync(StatusCode.NotFound, () => Client.PeekAsync(id));
        await FailsAsync(StatusCode.NotFound, () => Client.DeleteByKeyAsync(Topic, "cancel-me"));
    }

    // ------------------------------------------------------------------ Release, Bury, Touch

    [Fact]
    public async Task Release_WithPriorityAndDelay_DelayedWithNewPriorityElseKeepsIt()
    {
        var id = await PutAsync(priority: 7);
        var first = await Client.ReserveJobAsync(id);
        await Client.ReleaseAsync(new ReleaseRequest { Id = id, Reservation = first.Reservation });
        var job = await Client.PeekAsync(id);
        Assert.Equal((JobState.Ready, 7u, 1u), (job.State, job.Priority, job.Releases));

        var second = await Client.ReserveJobAsync(id);
        var before = DateTimeOffset.UtcNow;
        await Client.ReleaseAsync(new ReleaseRequest { Id = id, Reservation = second.Reservation, Priority = 3, Delay = Duration.FromTimeSpan(TimeSpan.FromMinutes(10)) });
        var after = DateTimeOffset.UtcNow;
        job = await Client.PeekAsync(id);
        Assert.Equal((JobState.Delayed, 3u, 2u), (job.State, job.Priority, job.Releases));
        AssertWithin(job.ReadyAt, before.AddMinutes(10), after.AddMinutes(10));

        await FailsAsync(StatusCode.FailedPrecondition, () => Client.ReleaseAsync(new ReleaseRequest { Id = id, Reservation = second.Reservation }));
        await FailsAsync(StatusCode.NotFound, () => Client.ReleaseAsync(new ReleaseRequest { Id = 777_777, Reservation = 1 }));
    }

    [Fact]
    public async Task Bury_ReservedJob_BuriedWithPriorityAndNotReservedIsFailedPrecondition()
    {
        var id = await PutAsync(priority: 9);
        await FailsAsync(StatusCode.FailedPrecondition, () => Client.BuryAsync(new BuryRequest { Id = id, Reservation = 1 }));
        var reserved = await Client.ReserveJobAsync(id);
        await FailsAsync(StatusCode.FailedPrecondition, () => Client.BuryAsync(new BuryRequest { Id = id, Reservation = reserved.Reservation + 1 }));

        await Client.BuryAsync(new BuryRequest { Id = id, Reservation = reserved.Reservation, Priority = 2 });

        var job = await Client.PeekAsync(id);
        Assert.Equal((JobState.Buried, 2u, 1u), (job.State, job.Priority, job.Buries));
        Assert.Equal(1UL, (await Client.GetTopicStatsAsync(Topic)).Buried);
    }

    [Fact]
    public async Task Touch_ReservedJob_RestartsTtrAndNotReservedIsFailedPrecondition()
    {
        var request = Job();
        request.Ttr = Duration.FromTimeSpan(TimeSpan.FromSeconds(30));
        var id = (await Client.PutAsync(request)).Id;
        await FailsAsync(StatusCode.FailedPrecondition, () => Client.TouchAsync(id, 1));
        var reserved = await Client.ReserveJobAsync(id);
        await Task.Delay(50);

        var touched = await Client.TouchAsync(id, reserved.Reservation);

        Assert.True(touched.Deadline.ToDateTimeOffset() > reserved.Deadline.ToDateTimeOffset(), "the deadline moves later");
        AssertWithin(touched.Deadline, DateTimeOffset.UtcNow.AddSeconds(25), DateTimeOffset.UtcNow.AddSeconds(30));
        Assert.Equal(touched.Deadline, (await Client.PeekAsync(id)).Deadline);
        await FailsAsync(StatusCode.FailedPrecondition, () => Client.TouchAsync(id, reserved.Reservation + 1));
        await FailsAsync(StatusCode.NotFound, () => Client.TouchAsync(555_555, 1));
    }

    // ------------------------------------------------------------------ Kick, KickJob

    [Fact]
    public async Task Kick_BuriedFirstOldestFirstElseDelayedSoonestFirst()
    {
        var buried = new List<ulong>();
        for (var i = 0; i < 3; i++)
        {
            var id = await PutAsync();
            var reserved = await Client.ReserveJobAsync(id);
            buried.Add(id);
            await Client.BuryAsync(new BuryRequest { Id = id, Reservation = reserved.Reservation });
        }

        var later = Job();
        later.Delay = Duration.FromTimeSpan(TimeSpan.FromHours(2));
        var laterId = (await Client.PutAsync(later)).Id;
        var sooner = Job();
        sooner.Delay = Duration.FromTimeSpan(TimeSpan.FromHours(1));
        var soonerId = (await Client.PutAsync(sooner)).Id;

        Assert.Equal(2u, (await Client.KickAsync(Topic, 2)).Kicked);
        Assert.Equal(JobState.Ready, (await Client.PeekAsync(buried[0])).State);
        Assert.Equal(JobState.Ready, (await Client.PeekAsync(buried[1])).State);
        Assert.Equal(JobState.Buried, (await Client.PeekAsync(buried[2])).State);
        Assert.Equal(JobState.Delayed, (await Client.PeekAsync(soonerId)).State);

        Assert.Equal(1u, (await Client.KickAsync(Topic, 5)).Kicked);
        Assert.Equal(JobState.Ready, (await Client.PeekAsync(buried[2])).State);

        Assert.Equal(1u, (await Client.KickAsync(Topic, 1)).Kicked);
        Assert.Equal(JobState.Ready, (await Client.PeekAsync(soonerId)).State);
        Assert.Equal(JobState.Delayed, (await Client.PeekAsync(laterId)).State);
        Assert.Equal(1u, (await Client.PeekAsync(soonerId)).Kicks);

        Assert.Equal(1u, (await Client.KickAsync(Topic, 10)).Kicked);
        Assert.Equal(0u, (await Client.KickAsync(Topic, 10)).Kicked);
        Assert.Equal(0u, (await Client.KickAsync("empty-topic", 10)).Kicked);
    }

    [Fact]
    public async Task KickJob_BuriedOrDelayedToReadyElseFailedPrecondition()
    {
        var id = await PutAsync();
        await FailsAsync(StatusCode.FailedPrecondition, () => Client.KickJobAsync(id));
        var reserved = await Client.ReserveJobAsync(id);
        await FailsAsync(StatusCode.FailedPrecondition, () => Client.KickJobAsync(id));
        await Client.BuryAsync(new BuryRequest { Id = id, Reservation = reserved.Reservation });

        await Client.KickJobAsync(id);
        Assert.Equal(JobState.Ready, (await Client.PeekAsync(id)).State);
        await FailsAsync(StatusCode.FailedPrecondition, () => Client.KickJobAsync(id));

        var delayed = Job();
        delayed.Delay = Duration.FromTimeSpan(TimeSpan.FromHours(1));
        var delayedId = (await Client.PutAsync(delayed)).Id;
        await Client.KickJobAsync(delayedId);
        Assert.Equal(JobState.Ready, (await Client.PeekAsync(delayedId)).State);
        await FailsAsync(StatusCode.FailedPrecondition, () => Client.KickJobAsync(delayedId));
        await FailsAsync(StatusCode.NotFound, () => Client.KickJobAsync(31_337));
    }

    // ------------------------------------------------------------------ PeekNext

    [Fact]
    public async Task PeekNext_EachState_MostUrgentSoonestOldestAndNotFoundWhenNone()
    {
        foreach (var state in new[] { JobState.Ready, JobState.Delayed, JobState.Buried })
        {
            await FailsAsync(StatusCode.NotFound, () => Client.PeekNextAsync(Topic, state));
        }

        await PutAsync(priority: 5);
        var urgent = await PutAsync(priority: 1);
        await PutAsync(priority: 1);
        var far = Job();
        far.Delay = Duration.FromTimeSpan(TimeSpan.FromHours(3));
        await Client.PutAsync(far);
        var near = Job();
        near.Delay = Duration.FromTimeSpan(TimeSpan.FromHours(1));
        var nearId = (await Client.PutAsync(near)).Id;
        var buried = new List<ulong>();
        for (var i = 0; i < 2; i++)
        {
            var id = await PutAsync(priority: 100);
            buried.Add(id);
            await Client.BuryAsync(new BuryRequest { Id = id, Reservation = (await Client.ReserveJobAsync(id)).Reservation });
        }

        Assert.Equal(urgent, (await Client.PeekNextAsync(Topic, JobState.Ready)).Id);
        Assert.Equal(nearId, (await Client.PeekNextAsync(Topic, JobState.Delayed)).Id);
        Assert.Equal(buried[0], (await Client.PeekNextAsync(Topic, JobState.Buried)).Id);
        await InvalidAsync("state", () => Client.PeekNextAsync(Topic, JobState.Unspecified));
        await InvalidAsync("state", () => Client.PeekNextAsync(Topic, JobState.Reserved));
        await InvalidAsync("state", () => Client.PeekNextAsync(Topic, (JobState)42));
    }

    [Fact]
    public async Task PeekNext_Delayed_SoonestThenTheNextOnceDeletedAndNotFoundWithOnlyReadyJobsLeft()
    {
        var ready = await PutAsync("ready");
        var delayed = new List<ulong>();
        foreach (var (body, hours) in new[] { ("A", 3), ("B", 1), ("C", 2) })
        {
            var request = Job(body);
            request.Delay = Duration.FromTimeSpan(TimeSpan.FromHours(hours));
            delayed.Add((await Client.PutAsync(request)).Id);
        }

        foreach (var (id, body) in new[] { (delayed[1], "B"), (delayed[2], "C"), (delayed[0], "A") })
        {
            var next = await Client.PeekNextAsync(Topic, JobState.Delayed);
            Assert.Equal((id, body, JobState.Delayed), (next.Id, next.Body.ToStringUtf8(), next.State));
            await Client.DeleteAsync(id);
        }

        await FailsAsync(StatusCode.NotFound, () => Client.PeekNextAsync(Topic, JobState.Delayed));
        Assert.Equal(ready, (await Client.PeekNextAsync(Topic, JobState.Ready)).Id);
    }

    // ------------------------------------------------------------------ stats, pause

    [Fact]
    public async Task Stats_TopicListAndServer_CountEveryStateAndTotal()
    {
        var empty = await Client.GetTopicStatsAsync("never-used");
        Assert.Equal(("never-used", 0UL, 0UL, 0UL, 0UL), (empty.Name, empty.Ready, empty.Delayed, empty.Reserved, empty.TotalPuts));

        var a = await PutAsync(topic: "alpha");
        await PutAsync(topic: "alpha");
        var delayed = Job(topic: "beta");
        delayed.Delay = Duration.FromTimeSpan(TimeSpan.FromHours(1));
        await Client.PutAsync(delayed);
        var reservedId = await PutAsync(topic: "beta");
        var reserved = await Client.ReserveJobAsync(reservedId);
        await Client.DeleteAsync(a);

        var alpha = await Client.GetTopicStatsAsync("alpha");
        Assert.Equal((1UL, 0UL, 0UL, 0UL, 2UL, 1UL), (alpha.Ready, alpha.Delayed, alpha.Reserved, alpha.Buried, alpha.TotalPuts, alpha.TotalDeletes));
        var beta = await Client.GetTopicStatsAsync("beta");
        Assert.Equal((0UL, 1UL, 1UL, 2UL), (beta.Ready, beta.Delayed, beta.Reserved, beta.TotalPuts));
        Assert.Equal(TimeSpan.Zero, beta.PauseRemaining.ToTimeSpan());

        var listed = (await Client.ListTopicsAsync()).Topics.ToDictionary(t => t.Name);
        Assert.Equal(alpha, listed["alpha"]);
        Assert.Equal(beta, listed["beta"]);

        var server = await Client.GetServerStatsAsync();
        Assert.Equal(ExpectedStorage, server.Storage);
        Assert.False(string.IsNullOrEmpty(server.Version));
        Assert.True(server.Uptime.ToTimeSpan() >= TimeSpan.Zero);
        Assert.Equal((1UL, 1UL, 1UL, 0UL, 4UL, 1UL), (server.Ready, server.Delayed, server.Reserved, server.Buried, server.TotalPuts, server.TotalDeletes));
        Assert.True(server.Topics >= 2);
        Assert.NotEqual(0UL, reserved.Reservation);
    }

    [Fact]
    public async Task GetTopicStats_UsedAndUnusedTopic_EveryFieldExact()
    {
        const string Used = "stats";
        var unused = await Client.GetTopicStatsAsync("never-used");
        Assert.Equal(
            ("never-used", 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, TimeSpan.Zero),
            (unused.Name, unused.Ready, unused.Delayed, unused.Reserved, unused.Buried, unused.Waiting, unused.TotalPuts, unused.TotalDeletes, unused.TotalTimeouts, unused.PauseRemaining.ToTimeSpan()));

        // One timed-out reservation (TTR 1 s), then buried.
        var timedOut = Job(topic: Used);
        timedOut.Ttr = Duration.FromTimeSpan(TimeSpan.FromSeconds(1));
        var buried = (await Client.PutAsync(timedOut)).Id;
        await Client.ReserveJobAsync(buried);
        var clock = Stopwatch.StartNew();
        while ((await Client.PeekAsync(buried)).State != JobState.Ready)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "the 1 s TTR did not run out");
            await Task.Delay(50);
        }

        await Client.BuryAsync(new BuryRequest { Id = buried, Reservation = (await Client.ReserveJobAsync(buried)).Reservation });
        await Client.ReserveJobAsync(await PutAsync(topic: Used));
        var delayed = Job(topic: Used);
        delayed.Delay = Duration.FromTimeSpan(TimeSpan.FromHours(1));
        await Client.PutAsync(delayed);
        await Client.DeleteAsync(await PutAsync(topic: Used));

        // Nothing ready: a reserver waits.
        var waiter = Client.ReserveOneAsync(new ReserveOneRequest { Topics = { Used }, Timeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(10)) });
        TopicStats stats;
        while ((stats = await Client.GetTopicStatsAsync(Used)).Waiting == 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "the reserver was never counted as waiting");
            await Task.Delay(20);
        }

        Assert.Equal(
            (Used, 0UL, 1UL, 1UL, 1UL, 1UL, 4UL, 1UL, 1UL, TimeSpan.Zero),
            (stats.Name, stats.Ready, stats.Delayed, stats.Reserved, stats.Buried, stats.Waiting, stats.TotalPuts, stats.TotalDeletes, stats.TotalTimeouts, stats.PauseRemaining.ToTimeSpan()));

        // The waiter takes the next job; one more stays ready in a paused topic.
        var taken = await PutAsync(topic: Used);
        Assert.Equal(taken, (await waiter).Job.Job.Id);
        await PutAsync(topic: Used);
        await Client.PauseTopicAsync(new PauseTopicRequest { Topic = Used, Duration = Duration.FromTimeSpan(TimeSpan.FromHours(1)) });

        stats = await Client.GetTopicStatsAsync(Used);
        Assert.Equal(
            (Used, 1UL, 1UL, 2UL, 1UL, 0UL, 6UL, 1UL, 1UL),
            (stats.Name, stats.Ready, stats.Delayed, stats.Reserved, stats.Buried, stats.Waiting, stats.TotalPuts, stats.TotalDeletes, stats.TotalTimeouts));
        Assert.InRange(stats.PauseRemaining.ToTimeSpan(), TimeSpan.FromMinutes(59), TimeSpan.FromHours(1));
        var listed = Assert.Single((await Client.ListTopicsAsync()).Topics, t => t.Name == Used);
        Assert.Equal((stats.Ready, stats.Delayed, stats.Reserved, stats.Buried, stats.TotalPuts, stats.TotalDeletes, stats.TotalTimeouts), (listed.Ready, listed.Delayed, listed.Reserved, listed.Buried, listed.TotalPuts, listed.TotalDeletes, listed.TotalTimeouts));
    }

    [Fact]
    public async Task PauseTopic_Paused_NothingReservedUntilPauseZeroEndsIt()
    {
        var id = await PutAsync();
        await Client.PauseTopicAsync(new PauseTopicRequest { Topic = Topic, Duration = Duration.FromTimeSpan(TimeSpan.FromHours(1)) });

        var remaining = (await Client.GetTopicStatsAsync(Topic)).PauseRemaining.ToTimeSpan();
        Assert.InRange(remaining, TimeSpan.FromMinutes(59), TimeSpan.FromHours(1));
        Assert.Null((await Client.ReserveOneAsync(new ReserveOneRequest { Topics = { Topic } })).Job);

        var waiting = Client.ReserveOneAsync(new ReserveOneRequest { Topics = { Topic }, Timeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(10)) });
        await Task.Delay(200);
        Assert.False(waiting.IsCompleted, "a paused topic must not hand out jobs");
        await Client.PauseTopicAsync(new PauseTopicRequest { Topic = Topic, Duration = new Duration() });

        Assert.Equal(id, (await waiting).Job.Job.Id);
        Assert.Equal(TimeSpan.Zero, (await Client.GetTopicStatsAsync(Topic)).PauseRemaining.ToTimeSpan());
    }

    [Fact]
    public async Task PauseTopic_ShortPause_ReserveWaitsForIt()
    {
        var id = await PutAsync();
        await Client.PauseTopicAsync(new PauseTopicRequest { Topic = Topic, Duration = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(700)) });
        var clock = Stopwatch.StartNew();

        var got = await Client.ReserveOneAsync(new ReserveOneRequest { Topics = { Topic }, Timeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(10)) });

        Assert.Equal(id, got.Job.Job.Id);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(500), $"reserved after {clock.Elapsed}, inside the pause");
    }

    [Fact]
    public async Task Health_AfterStart_ChronoqServing()
    {
        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, await Client.CheckHealthAsync());
    }

    [Fact]
    public async Task Reserve_ServerStops_StreamEndsUnavailableWithoutWaitingForShutdownTimeout()
    {
        await PutAsync();
        var stream = new ReserveStream(Client, new ReserveRequest { Topics = { Topic } });
        await using (stream)
        {
            await stream.NextJobAsync();
            var clock = Stopwatch.StartNew();
            var stopping = Server.StopAsync();

            var failure = await Assert.ThrowsAsync<RpcException>(() => stream.EndedAsync(TimeSpan.FromSeconds(10)));
            await stopping;

            Assert.Equal(StatusCode.Unavailable, failure.StatusCode);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"the stream ended {clock.Elapsed} after stop began; the shutdown timeout is 5 s");
        }
    }

    // ------------------------------------------------------------------ bad input

    [Fact]
    public async Task BadInput_EveryField_InvalidArgumentNamingItAndNothingChanged()
    {
        var existing = await PutAsync();
        var reserved = await Client.ReserveJobAsync(existing);
        var before = await Client.GetServerStatsAsync();
        var longTopic = new string('t', 201);
        var badDuration = new Duration { Seconds = 1, Nanos = -1 };
        var badNanos = new Duration { Seconds = 0, Nanos = 1_000_000_000 };
        var negative = new Duration { Seconds = -1 };

        PutRequest With(Action<PutRequest> change)
        {
            var request = Job();
            change(request);
            return request;
        }

        var cases = new (string Field, Func<Task> Call)[]
        {
            ("topic", () => Client.PutAsync(With(r => r.Topic = ""))),
            ("topic", () => Client.PutAsync(With(r => r.Topic = "has space"))),
            ("topic", () => Client.PutAsync(With(r => r.Topic = longTopic))),
            ("topic", () => Client.PutAsync(With(r => r.Topic = "emoji-\u263a"))),
            ("delay", () => Client.PutAsync(With(r => r.Delay = negative))),
            ("delay", () => Client.PutAsync(With(r => r.Delay = badDuration))),
            ("delay", () => Client.PutAsync(With(r => r.Delay = badNanos))),
            ("run_at", () => Client.PutAsync(With(r => r.RunAt = new Timestamp { Seconds = 253_402_300_800 }))),
            ("run_at", () => Client.PutAsync(With(r => r.RunAt = new Timestamp { Seconds = 1, Nanos = -1 }))),
            ("ttr", () => Client.PutAsync(With(r => r.Ttr = negative))),
            ("ttr", () => Client.PutAsync(With(r => r.Ttr = badDuration))),
            ("key", () => Client.PutAsync(With(r => r.Key = new string('k', 5000)))),
            ("headers", () => Client.PutAsync(With(r => r.Headers.Add("", "v")))),
            ("jobs[1].topic", () => Client.PutBatchAsync(new PutBatchRequest { Jobs = { Job(), With(r => r.Topic = "") } })),
            ("jobs[0].run_at", () => Client.PutBatchAsync(new PutBatchRequest { Jobs = { With(r => r.RunAt = new Timestamp { Seconds = -62_135_596_801 }), Job() } })),
            ("topics", () => Client.ReserveOneAsync(new ReserveOneRequest())),
            ("topics[1]", () => Client.ReserveOneAsync(new ReserveOneRequest { Topics = { Topic, "bad topic" } })),
            ("timeout", () => Client.ReserveOneAsync(new ReserveOneRequest { Topics = { Topic }, Timeout = negative })),
            ("timeout", () => Client.ReserveOneAsync(new ReserveOneRequest { Topics = { Topic }, Timeout = badNanos })),
            ("topic", () => Client.DeleteByKeyAsync("", "k")),
            ("key", () => Client.DeleteByKeyAsync(Topic, "")),
            ("delay", () => Client.ReleaseAsync(new ReleaseRequest { Id = existing, Reservation = reserved.Reservation, Delay = negative })),
            ("delay", () => Client.ReleaseAsync(new ReleaseRequest { Id = existing, Reservation = reserved.Reservation, Delay = badDuration })),
            ("topic", () => Client.KickAsync("", 1)),
            ("topic", () => Client.PeekNextAsync("bad topic", JobState.Ready)),
            ("topic", () => Client.GetTopicStatsAsync(longTopic)),
            ("topic", () => Client.PauseTopicAsync(new PauseTopicRequest { Topic = "", Duration = Duration.FromTimeSpan(TimeSpan.FromSeconds(1)) })),
            ("duration", () => Client.PauseTopicAsync(new PauseTopicRequest { Topic = Topic, Duration = negative })),
            ("duration", () => Client.PauseTopicAsync(new PauseTopicRequest { Topic = Topic, Duration = badNanos })),
        };

        foreach (var (field, call) in cases)
        {
            var failure = await Assert.ThrowsAsync<RpcException>(call);
            Assert.True(failure.StatusCode == StatusCode.InvalidArgument, $"{field}: expected INVALID_ARGUMENT, got {failure.StatusCode}: {failure.Detail}");
            Assert.True(failure.Detail.Contains(field, StringComparison.Ordinal), $"{field}: the message '{failure.Detail}' does not name the field");
        }

        await using (var stream = new ReserveStream(Client, new ReserveRequest()))
        {
            var failure = await Assert.ThrowsAsync<RpcException>(() => stream.EndedAsync(TimeSpan.FromSeconds(10)));
            Assert.Equal(StatusCode.InvalidArgument, failure.StatusCode);
            Assert.Contains("topics", failure.Detail, StringComparison.Ordinal);
        }

        await using (var stream = new ReserveStream(Client, new ReserveRequest { Topics = { "ok", "" } }))
        {
            var failure = await Assert.ThrowsAsync<RpcException>(() => stream.EndedAsync(TimeSpan.FromSeconds(10)));
            Assert.Equal(StatusCode.InvalidArgument, failure.StatusCode);
            Assert.Contains("topics[1]", failure.Detail, StringComparison.Ordinal);
        }

        var after = await Client.GetServerStatsAsync();
        Assert.Equal(
            (before.TotalPuts, before.Ready, before.Delayed, before.Reserved, before.Buried, before.TotalDeletes),
            (after.TotalPuts, after.Ready, after.Delayed, after.Reserved, after.Buried, after.TotalDeletes));
        var job = await Client.PeekAsync(existing);
        Assert.Equal((JobState.Reserved, 0u), (job.State, job.Releases));
    }

    [Fact]
    public async Task Put_BodyOverLimit_ResourceExhaustedNamingBody()
    {
        var request = Job();
        request.Body = ByteString.CopyFrom(new byte[(1 << 20) + 1]);

        var failure = await FailsAsync(StatusCode.ResourceExhausted, () => Client.PutAsync(request));

        Assert.Contains("body", failure.Detail, StringComparison.Ordinal);
        Assert.Equal(0UL, (await Client.GetServerStatsAsync()).TotalPuts);
    }

    protected static void AssertWithin(Timestamp actual, DateTimeOffset earliest, DateTimeOffset latest)
    {
        // The server keeps milliseconds: allow one either side of the bracket.
        var time = actual.ToDateTimeOffset();
        Assert.True(
            time >= earliest.AddMilliseconds(-1) && time <= latest.AddMilliseconds(1),
            $"{time:O} is not within [{earliest:O}, {latest:O}]");
    }
}
