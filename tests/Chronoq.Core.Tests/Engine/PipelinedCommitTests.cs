using System.Collections.Concurrent;
using Chronoq.Core.Storage;
using Chronoq.Core.Tests.Support;
using Chronoq.Testing;

namespace Chronoq.Core.Tests.Engine;

/// <summary>
/// A store that runs more than one commit at once (<see cref="IJobStore.MaxCommitsInFlight"/>):
/// the engine applies and commits the next batch while the earlier one is in flight, and still
/// answers in order, delivers and shows nothing before it is durable, and rolls back exactly the
/// batch that failed.
/// </summary>
public sealed class PipelinedCommitTests
{
    private static JobSpec Job(string topic, string? key = null) => new() { Topic = topic, Body = "x"u8.ToArray(), Key = key };

    private static async Task<JobInfo?> TryPeek(EngineHarness h, ulong id)
    {
        var result = await EngineHarness.Wait(h.Engine.PeekAsync(id));
        return result.IsOk ? result.Value : null;
    }

    /// <summary>Gives the engine loop time to act on what it was sent; the assertions after it hold whatever the timing.</summary>
    private static Task Settle() => Task.Delay(100);

    /// <summary>
    /// Puts a job every millisecond or so without waiting for the answers, until stopped, and then
    /// returns every answer. Clients that wait for each answer move in step with the commits: on a
    /// quiet fast machine all they send lands in the batch that commits, and no two commits ever
    /// run at once. These puts keep arriving while a commit runs, so the next one starts beside it.
    /// </summary>
    private static async Task<EngineResult<PutResult>[]> Trickle(EngineHarness h, Func<int, JobSpec> job, CancellationToken stop)
    {
        var puts = new List<Task<EngineResult<PutResult>>>();
        while (!stop.IsCancellationRequested)
        {
            puts.Add(h.Engine.PutAsync(job(puts.Count)).AsTask());
            await Task.Delay(1, CancellationToken.None);
        }

        return await Task.WhenAll(puts).WaitAsync(EngineHarness.Bound);
    }

    /// <summary>Puts A and B in two batches whose commits are both running, held until released.</summary>
    private static async Task<(Task<EngineResult<PutResult>> A, StoreHold First, Task<EngineResult<PutResult>> B, StoreHold Second)> TwoHeldPuts(EngineHarness h, FakeDurableStore store)
    {
        var first = store.HoldNextCommit();
        var second = store.HoldNextCommit();
        var a = h.Engine.PutAsync(Job("t")).AsTask();
        await first.WaitUntilReachedAsync();
        var b = h.Engine.PutAsync(Job("t")).AsTask();
        await second.WaitUntilReachedAsync();
        return (a, first, b, second);
    }

    [Fact]
    public async Task SecondCommitStarts_WhileFirstRuns_AndAnswersLeaveInOrder()
    {
        var store = new FakeDurableStore { MaxCommitsInFlight = 2 };
        await using var h = await EngineHarness.StartAsync(store);

        // B's commit starts while A's is held: the engine loop is not blocked inside A's.
        var (a, first, b, second) = await TwoHeldPuts(h, store);
        Assert.Equal(1, await second.WaitUntilReachedAsync());
        Assert.Equal(2, store.MostCommitsAtOnce);

        // B is durable first, but answered only after A: answers leave in the order applied.
        second.Release();
        await Settle();
        Assert.False(b.IsCompleted);
        Assert.False(a.IsCompleted);
        first.Release();
        var idA = (await a.WaitAsync(EngineHarness.Bound)).Value.Id;
        var idB = (await b.WaitAsync(EngineHarness.Bound)).Value.Id;
        Assert.True(idA < idB);
        Assert.Equal(new[] { idA, idB }, store.Jobs.Keys.Order());
    }

    [Fact]
    public async Task FirstCommitFails_IndependentSecondStaysDurable_OnlyTheFirstRolledBack()
    {
        var store = new FakeDurableStore { MaxCommitsInFlight = 2 };
        await using var h = await EngineHarness.StartAsync(store);
        var kept = await h.Put("t", priority: 7);
        var reserved = await h.Reserve("t");
        var first = store.HoldNextCommit();
        var second = store.HoldNextCommit();
        var doomed = h.Engine.PutAsync(Job("t")).AsTask();
        await first.WaitUntilReachedAsync();
        var bury = h.Engine.BuryAsync(kept, reserved.Reservation, 9).AsTask();
        await second.WaitUntilReachedAsync();

        second.Release();
        first.ReleaseAndFail();
        Assert.Equal(ErrorCode.Unavailable, (await doomed.WaitAsync(EngineHarness.Bound)).Status.Code);
        Assert.True((await bury.WaitAsync(EngineHarness.Bound)).IsOk);

        var info = await h.Peek(kept);
        Assert.Equal((JobState.Buried, 9u), (info.State, info.Priority));
        Assert.Equal((StoredJobState.Buried, 9u), (store.Jobs[kept].State, store.Jobs[kept].Priority));
        Assert.Single(store.Jobs);
        Assert.Null(await TryPeek(h, kept + 1)); // the failed put's job is gone from memory too
        var stats = (await EngineHarness.Wait(h.Engine.GetServerStatsAsync())).Value;
        Assert.Equal((1UL, 1UL, 0UL), (stats.TotalPuts, stats.Buried, stats.Ready));
    }

    [Fact]
    public async Task CommandOnAJobOfACommittingBatch_WaitsForIt_AndSeesItsOutcome()
    {
        var store = new FakeDurableStore { MaxCommitsInFlight = 2 };
        await using var h = await EngineHarness.StartAsync(store);
        var id = await h.Put("t");
        var reserved = await h.Reserve("t");
        var first = store.HoldNextCommit();
        var second = store.HoldNextCommit();
        var bury = h.Engine.BuryAsync(id, reserved.Reservation).AsTask();
        await first.WaitUntilReachedAsync();

        // Kicking the job needs the bury's outcome: the engine waits for that commit, so no second
        // commit starts meanwhile, and once the bury fails the job is reserved again, not buried.
        var kick = h.Engine.KickJobAsync(id).AsTask();
        await Settle();
        Assert.False(second.WaitUntilReachedAsync().IsCompleted);
        first.ReleaseAndFail();
        Assert.Equal(ErrorCode.Unavailable, (await bury.WaitAsync(EngineHarness.Bound)).Code);
        Assert.Equal(ErrorCode.FailedPrecondition, (await kick.WaitAsync(EngineHarness.Bound)).Code);
        Assert.Equal(JobState.Reserved, (await h.Peek(id)).State);
        second.Release();
        Assert.True((await EngineHarness.Wait(h.Engine.DeleteAsync(id, reserved.Reservation))).IsOk);
    }

    [Fact]
    public async Task PutWithTheKeyOfACommittingPut_WaitsForIt_AndCreatesTheJobWhenThatPutFailed()
    {
        var store = new FakeDurableStore { MaxCommitsInFlight = 2 };
        await using var h = await EngineHarness.StartAsync(store);
        var first = store.HoldNextCommit();
        var original = h.Engine.PutAsync(Job("t", key: "order-1")).AsTask();
        await first.WaitUntilReachedAsync();
        var again = h.Engine.PutAsync(Job("t", key: "order-1")).AsTask();
        await Settle();
        Assert.Equal(1, store.MostCommitsAtOnce);
        first.ReleaseAndFail();

        Assert.Equal(ErrorCode.Unavailable, (await original.WaitAsync(EngineHarness.Bound)).Status.Code);
        var created = (await again.WaitAsync(EngineHarness.Bound)).Value;
        Assert.True(created.Created, "the key's first put failed, so the second one creates the job");
        Assert.Equal(new[] { created.Id }, store.Jobs.Keys);
        Assert.Equal("order-1", store.Jobs[created.Id].Key);
    }

    [Fact]
    public async Task DeleteOfAJobAnUncommittedBatchDeleted_WaitsAndFindsItAgainWhenThatDeleteFailed()
    {
        var store = new FakeDurableStore { MaxCommitsInFlight = 2 };
        await using var h = await EngineHarness.StartAsync(store);
        var id = await h.Put("t");
        var first = store.HoldNextCommit();
        var delete = h.Engine.DeleteAsync(id).AsTask();
        await first.WaitUntilReachedAsync();
        var deleteAgain = h.Engine.DeleteAsync(id).AsTask();
        await Settle();
        first.ReleaseAndFail();

        Assert.Equal(ErrorCode.Unavailable, (await delete.WaitAsync(EngineHarness.Bound)).Code);
        Assert.True((await deleteAgain.WaitAsync(EngineHarness.Bound)).IsOk, "the job was there again when the second delete ran");
        Assert.Empty(store.Jobs);
    }

    [Fact]
    public async Task NothingTouchedByACommittingBatch_IsDeliveredOrShown_UntilItIsDurable()
    {
        var store = new FakeDurableStore { MaxCommitsInFlight = 2 };
        await using var h = await EngineHarness.StartAsync(store);
        await using var stream = await h.OpenStream(4, "t");
        var (a, first, b, second) = await TwoHeldPuts(h, store);
        await Settle();
        Assert.False(stream.Events.TryPeek(out _));

        // B's batch is durable, but it is finished (and B delivered) only after A's.
        second.Release();
        await Settle();
        Assert.False(stream.Events.TryPeek(out _));
        first.Release();
        var idA = (await a.WaitAsync(EngineHarness.Bound)).Value.Id;
        var idB = (await b.WaitAsync(EngineHarness.Bound)).Value.Id;
        Assert.Equal(idA, (await EngineHarness.Next(stream)).Job.Job.Id);
        Assert.Equal(idB, (await EngineHarness.Next(stream)).Job.Job.Id);
    }

    [Fact]
    public async Task ControlCommand_AnsweredOnCommittedStateOnly()
    {
        var store = new FakeDurableStore { MaxCommitsInFlight = 2 };
        await using var h = await EngineHarness.StartAsync(store);
        var before = (await EngineHarness.Wait(h.Engine.GetServerStatsAsync())).Value;
        var first = store.HoldNextCommit();
        var put = h.Engine.PutAsync(Job("t")).AsTask();
        await first.WaitUntilReachedAsync();
        var stats = h.Engine.GetServerStatsAsync().AsTask();
        var peek = h.Engine.PeekNextAsync("t", JobState.Ready).AsTask();
        await Settle();
        Assert.False(stats.IsCompleted);
        Assert.False(peek.IsCompleted);
        first.ReleaseAndFail();

        Assert.Equal(ErrorCode.Unavailable, (await put.WaitAsync(EngineHarness.Bound)).Status.Code);
        Assert.Equal(before.TotalPuts, (await stats.WaitAsync(EngineHarness.Bound)).Value.TotalPuts);
        Assert.Equal(ErrorCode.NotFound, (await peek.WaitAsync(EngineHarness.Bound)).Status.Code);
    }

    [Fact]
    public async Task Stop_WithCommitsInFlight_AnswersTheirCallersOnceTheyEnd()
    {
        var store = new FakeDurableStore { MaxCommitsInFlight = 2 };
        var h = await EngineHarness.StartAsync(store);
        var (a, first, b, second) = await TwoHeldPuts(h, store);
        var stopped = h.DisposeAsync().AsTask();
        await Settle();
        first.Release();
        second.ReleaseAndFail();
        await stopped.WaitAsync(EngineHarness.Bound);

        Assert.True((await a.WaitAsync(EngineHarness.Bound)).IsOk);
        Assert.Equal(ErrorCode.Unavailable, (await b.WaitAsync(EngineHarness.Bound)).Status.Code);
        Assert.Single(store.Jobs);
    }

    [Fact]
    public async Task RefusedCommand_WhileABatchCommits_AnsweredAfterItWithItsOwnStatusEvenWhenThatBatchFails()
    {
        var store = new FakeDurableStore { MaxCommitsInFlight = 2 };
        await using var h = await EngineHarness.StartAsync(store);
        var reservedId = await h.Put("r");
        await h.Reserve("r");
        var first = store.HoldNextCommit();
        var put = h.Engine.PutAsync(Job("t")).AsTask();
        await first.WaitUntilReachedAsync();

        // A release with a stale token changes nothing and commits nothing: it takes no place among
        // the commits in flight (the next put's commit still starts beside the held one), and it
        // is answered right after the batch before it.
        var refused = h.Engine.ReleaseAsync(reservedId, reservation: 12345).AsTask();
        await Settle();
        var second = store.HoldNextCommit();
        var next = h.Engine.PutAsync(Job("t")).AsTask();
        await second.WaitUntilReachedAsync();
        Assert.False(refused.IsCompleted);
        first.ReleaseAndFail();

        Assert.Equal(ErrorCode.Unavailable, (await put.WaitAsync(EngineHarness.Bound)).Status.Code);
        Assert.Equal(ErrorCode.FailedPrecondition, (await refused.WaitAsync(EngineHarness.Bound)).Code);
        second.Release();
        Assert.True((await next.WaitAsync(EngineHarness.Bound)).IsOk);
        Assert.Equal(2, store.MostCommitsAtOnce);
    }

    [Fact]
    public async Task RollbackOfARelease_WhileTheStreamWasClosedByAFailedBodyRead_LeavesTheJobReadyNotHeldByTheClosedStream()
    {
        // Every body is dropped once committed, so each delivery reads its body back.
        var store = new FakeDurableStore { MaxCommitsInFlight = 2 };
        await using var h = await EngineHarness.StartAsync(store, EngineOptions.Default with { BodyCacheBytes = 1 });
        var held = await h.Put("t", priority: 5);
        var stream = await h.OpenStream(1, "t");
        var delivered = (await EngineHarness.Next(stream)).Job;
        Assert.Equal(held, delivered.Job.Id);
        var urgent = await h.Put("t", priority: 0);

        // The release frees the stream's place while its commit is held; the stream is then given
        // the urgent job, whose body read fails, which closes the stream; then the release fails.
        store.FailReads = true;
        var hold = store.HoldNextCommit();
        var release = h.Engine.ReleaseAsync(held, delivered.Reservation).AsTask();
        await hold.WaitUntilReachedAsync();
        await Assert.ThrowsAsync<StorageUnavailableException>(
            async () => await stream.Events.WaitToReadAsync().AsTask().WaitAsync(EngineHarness.Bound));
        hold.ReleaseAndFail();
        Assert.Equal(ErrorCode.Unavailable, (await release.WaitAsync(EngineHarness.Bound)).Code);

        store.FailReads = false;
        Assert.Equal((JobState.Ready, JobState.Ready), ((await h.Peek(held)).State, (await h.Peek(urgent)).State));
        Assert.Equal((2UL, 0UL), ((await h.Stats("t")).Ready, (await h.Stats("t")).Reserved));
        await stream.DisposeAsync();
    }

    [Fact]
    public async Task BodiesOverBudget_DroppedOnlyWhenNoCommitRuns_AndReadBackWhole()
    {
        var store = new FakeDurableStore { MaxCommitsInFlight = 2, ChaosFailureRate = 0 };
        // 1,600 bodies of 100 B against 64 KiB: most are dropped. The engine waits for commits
        // to trim only past a sixteenth over the budget (40 bodies), more than the 32 puts out at
        // once can add in one turn, so between trims commits overlap.
        const int budget = 64 * 1024;
        await using var h = await EngineHarness.StartAsync(store, EngineOptions.Default with { BodyCacheBytes = budget });
        var ids = new ConcurrentQueue<(ulong Id, byte[] Body)>();
        static byte[] Body(int worker, int i) => System.Text.Encoding.UTF8.GetBytes($"w{worker}-i{i:D4}-".PadRight(100, 'z'));
        void Acknowledged(EngineResult<PutResult> put, byte[] body)
        {
            Assert.True(put.IsOk, put.ToString());
            ids.Enqueue((put.Value.Id, body));
        }

        async Task PutOne(int worker, int i)
        {
            var body = Body(worker, i);
            Acknowledged(await h.Engine.PutAsync(new JobSpec { Topic = "t", Body = body }), body);
        }

        // Each worker has a few puts out at once, and the trickle's puts arrive while a commit runs.
        using var workersDone = new CancellationTokenSource();
        var trickle = Task.Run(() => Trickle(h, i => new JobSpec { Topic = "t", Body = Body(-1, i) }, workersDone.Token));
        await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
        {
            for (var i = 0; i < 200; i += 4)
            {
                await Task.WhenAll(PutOne(worker, i), PutOne(worker, i + 1), PutOne(worker, i + 2), PutOne(worker, i + 3));
            }
        }))).WaitAsync(TimeSpan.FromMinutes(1));
        await workersDone.CancelAsync();
        var trickled = await trickle;
        for (var i = 0; i < trickled.Length; i++)
        {
            Acknowledged(trickled[i], Body(-1, i));
        }

        Assert.True(store.MostCommitsAtOnce >= 2, $"commits never overlapped ({store.MostCommitsAtOnce})");
        await EngineHarness.Wait(h.Engine.GetServerStatsAsync()); // a control command: every commit finished, bodies trimmed
        Assert.InRange(h.Engine.HeldBodyBytes, 0, budget);
        foreach (var (id, body) in ids)
        {
            Assert.Equal(body, (await h.Peek(id)).Body.ToArray());
        }

        Assert.True(store.BodiesRead > 700, $"only {store.BodiesRead} bodies were read back");
    }

    /// <summary>
    /// Concurrent random work against a store that runs up to three commits at once, completes them
    /// in any order and fails one in eight: afterwards the store holds exactly the acknowledged puts
    /// minus the acknowledged deletes, memory equals the store, the counters count only what was
    /// acknowledged, and a restarted engine recovers the same jobs.
    /// </summary>
    [Fact]
    public async Task RandomConcurrentWork_WithOverlappingFailingCommits_MemoryEqualsStoreEqualsAcknowledgements()
    {
        var store = new FakeDurableStore { MaxCommitsInFlight = 3, ChaosFailureRate = 0.125 };
        var clock = new ManualTimeProvider();
        var acknowledgedPuts = new ConcurrentDictionary<ulong, byte>();
        var acknowledgedDeletes = new ConcurrentDictionary<ulong, byte>();
        var unexpected = new ConcurrentQueue<string>();
        string[] topics = { "a", "b" };

        await using (var h = await EngineHarness.StartAsync(store, clock: clock))
        {
            using var done = new CancellationTokenSource();
            async Task Settle(ulong id, ulong reservation, Random random)
            {
                var roll = random.Next(4);
                var status = roll switch
                {
                    0 => await h.Engine.ReleaseAsync(id, reservation, (uint)random.Next(5), random.Next(2) == 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(5)),
                    1 => await h.Engine.BuryAsync(id, reservation, (uint)random.Next(5)),
                    _ => await h.Engine.DeleteAsync(id, reservation),
                };
                if (status.IsOk && roll >= 2)
                {
                    acknowledgedDeletes.TryAdd(id, 0);
                }
                else if (!status.IsOk && status.Code is not (ErrorCode.Unavailable or ErrorCode.FailedPrecondition or ErrorCode.NotFound))
                {
                    // FailedPrecondition: the reservation's TTR ran out as the clock moved;
                    // NotFound: it ran out, and another worker then deleted the job by its id.
                    unexpected.Enqueue($"settling job {id}: {status}");
                }
            }

            // Three operations at a time per worker, so one worker's operations on the same jobs
            // land in consecutive batches that commit at once.
            async Task Worker(int seed)
            {
                var random = new Random(seed);
                for (var i = 0; i < 100; i++)
                {
                    await Task.WhenAll(Operation(new Random(random.Next())), Operation(new Random(random.Next())), Operation(new Random(random.Next())));
                }
            }

            async Task Operation(Random random)
            {
                var topic = topics[random.Next(topics.Length)];
                // Mostly one of the newest jobs, which other workers are working on too.
                var newest = acknowledgedPuts.IsEmpty ? 1UL : acknowledgedPuts.Keys.Max();
                var someId = newest - (ulong)Math.Min((long)newest - 1, random.Next(6));
                switch (random.Next(10))
                {
                    case 0 or 1 or 2 or 3:
                        var key = random.Next(4) == 0 ? $"k{random.Next(20)}" : null;
                        var put = await h.Engine.PutAsync(new JobSpec { Topic = topic, Body = "x"u8.ToArray(), Key = key, Priority = (uint)random.Next(5) });
                        if (put.IsOk && put.Value.Created)
                        {
                            acknowledgedPuts.TryAdd(put.Value.Id, 0);
                        }

                        break;
                    case 4:
                        var batch = await h.Engine.PutBatchAsync(new[] { new JobSpec { Topic = topic }, new JobSpec { Topic = topic, Delay = TimeSpan.FromSeconds(3) } });
                        if (batch.IsOk)
                        {
                            foreach (var result in batch.Value)
                            {
                                acknowledgedPuts.TryAdd(result.Id, 0);
                            }
                        }

                        break;
                    case 5 or 6:
                        var reserved = await h.Engine.ReserveOneAsync(new[] { topic }, TimeSpan.Zero);
                        if (reserved.IsOk && reserved.Value is { } job)
                        {
                            await Settle(job.Job.Id, job.Reservation, random);
                        }

                        break;
                    case 7:
                        if ((await h.Engine.DeleteAsync(someId)).IsOk)
                        {
                            acknowledgedDeletes.TryAdd(someId, 0);
                        }

                        break;
                    case 8:
                        await h.Engine.KickJobAsync(someId);
                        break;
                    default:
                        await h.Engine.KickAsync(topic, (uint)random.Next(1, 4));
                        break;
                }
            }

            // A stream takes jobs as the dispatch hands them out between commits, and settles them.
            async Task StreamConsumer()
            {
                var random = new Random(99);
                await using var stream = (await h.Engine.OpenReservationStreamAsync(topics, 2)).Value;
                try
                {
                    while (true)
                    {
                        var e = await stream.Events.ReadAsync(done.Token);
                        if (e.Kind == ReservationEventKind.Job)
                        {
                            await Settle(e.Job.Job.Id, e.Job.Reservation, random);
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                }
            }

            // Plain puts wait for no earlier batch: they keep commits overlapping between the
            // random operations, most of which wait for the batches before them.
            async Task Putter(int seed)
            {
                var random = new Random(seed);
                for (var i = 0; i < 100; i++)
                {
                    var put = await h.Engine.PutAsync(new JobSpec { Topic = topics[random.Next(topics.Length)], Body = "p"u8.ToArray() });
                    if (put.IsOk)
                    {
                        acknowledgedPuts.TryAdd(put.Value.Id, 0);
                    }
                }
            }

            // The trickle's puts keep commits overlapping even where the others move in step.
            async Task TrickleUntilDone()
            {
                foreach (var put in await Trickle(h, _ => new JobSpec { Topic = "a", Body = "t"u8.ToArray() }, done.Token))
                {
                    if (put.IsOk)
                    {
                        acknowledgedPuts.TryAdd(put.Value.Id, 0);
                    }
                    else if (put.Status.Code != ErrorCode.Unavailable)
                    {
                        unexpected.Enqueue($"trickled put: {put.Status}");
                    }
                }
            }

            // The clock moves on, so delays end and reservations time out while batches commit.
            async Task Clock()
            {
                try
                {
                    while (true)
                    {
                        await Task.Delay(5, done.Token);
                        clock.Advance(TimeSpan.FromMilliseconds(500));
                    }
                }
                catch (OperationCanceledException)
                {
                }
            }

            var consumer = Task.Run(StreamConsumer);
            var ticking = Task.Run(Clock);
            var trickling = Task.Run(TrickleUntilDone);
            var putters = Enumerable.Range(100, 8).Select(seed => Task.Run(() => Putter(seed)));
            var workers = Enumerable.Range(1, 6).Select(seed => Task.Run(() => Worker(seed)));
            await Task.WhenAll(putters.Concat(workers)).WaitAsync(TimeSpan.FromMinutes(2));
            await done.CancelAsync();
            await consumer.WaitAsync(EngineHarness.Bound);
            await ticking.WaitAsync(EngineHarness.Bound);
            await trickling.WaitAsync(EngineHarness.Bound);

            Assert.Empty(unexpected);
            Assert.True(store.MostCommitsAtOnce >= 2, $"commits never overlapped ({store.MostCommitsAtOnce})");
            Assert.True(store.FailedCommits > 0, "no commit failed");

            var expected = acknowledgedPuts.Keys.Except(acknowledgedDeletes.Keys).Order().ToArray();
            Assert.Equal(expected, store.Jobs.Keys.Order().ToArray());
            var stats = (await EngineHarness.Wait(h.Engine.GetServerStatsAsync())).Value;
            Assert.Equal(((ulong)acknowledgedPuts.Count, (ulong)acknowledgedDeletes.Count), (stats.TotalPuts, stats.TotalDeletes));
            foreach (var id in acknowledgedPuts.Keys)
            {
                var info = await TryPeek(h, id);
                Assert.Equal(store.Jobs.ContainsKey(id), info is not null);
                if (info is { } job)
                {
                    var stored = store.Jobs[id];
                    Assert.Equal((stored.Priority, stored.Releases, stored.Buries, stored.Kicks), (job.Priority, job.Releases, job.Buries, job.Kicks));
                    // A reservation is not stored, nor a delay ending as the clock moves.
                    var storedState = stored.State == StoredJobState.Delayed && stored.ReadyAtMs <= clock.GetUtcNow().ToUnixTimeMilliseconds()
                        ? StoredJobState.Ready
                        : stored.State;
                    if (job.State != JobState.Reserved)
                    {
                        Assert.Equal(storedState, (StoredJobState)job.State);
                    }
                }
            }
        }

        await using var restarted = await EngineHarness.StartAsync(store, clock: clock);
        foreach (var (id, stored) in store.Jobs)
        {
            var job = await restarted.Peek(id);
            Assert.Equal((stored.Priority, stored.Buries, stored.Kicks), (job.Priority, job.Buries, job.Kicks));
        }
    }
}
