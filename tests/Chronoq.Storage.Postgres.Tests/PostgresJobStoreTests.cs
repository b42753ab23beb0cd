using Chronoq.Core.Storage;
using Chronoq.Testing.Postgres;
using static Chronoq.Storage.Postgres.Tests.TestJobs;

namespace Chronoq.Storage.Postgres.Tests;

[Collection(PostgresCollection.Name)]
public sealed class PostgresJobStoreTests(PostgresCluster cluster)
{
    [Fact]
    public async Task CreateAsync_SecondStart_AppliesNoMigrationAgain()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string db = await cluster.CreateDatabaseAsync("mig", cts.Token);

        await (await StoreAsync(db, cancellationToken: cts.Token)).DisposeAsync();
        await using var store = await StoreAsync(db, cancellationToken: cts.Token);

        Assert.Equal(1L, await ScalarAsync<long>(db, "SELECT count(*) FROM chronoq.schema_version", cts.Token));
        Assert.Equal(1, await ScalarAsync<int>(db, "SELECT max(version) FROM chronoq.schema_version", cts.Token));
        Assert.Equal(1L, await ScalarAsync<long>(db, "SELECT count(*) FROM chronoq.meta", cts.Token));
    }

    [Fact]
    public async Task CreateAsync_FourInstancesAtOnce_AllStartAndMigrateOnce()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string db = await cluster.CreateDatabaseAsync("migc", cts.Token);

        var stores = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => StoreAsync(db, cancellationToken: cts.Token))));
        foreach (var store in stores)
        {
            await store.DisposeAsync();
        }

        Assert.Equal(1L, await ScalarAsync<long>(db, "SELECT count(*) FROM chronoq.schema_version", cts.Token));
        Assert.Equal(1L, await ScalarAsync<long>(db, "SELECT count(*) FROM chronoq.meta", cts.Token));
    }

    [Fact]
    public async Task CreateAsync_OtherSchema_KeepsStoresApart()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string db = await cluster.CreateDatabaseAsync("schema", cts.Token);
        var options = new PostgresStoreOptions { ConnectionString = db, Schema = "tenant_b" };
        await using (var other = await PostgresJobStore.CreateAsync(options, null, cts.Token))
        {
            await other.CommitAsync(Batch(1, JobMutation.Upsert(Ready(1))), cts.Token);
        }

        await using var store = await StoreAsync(db, cancellationToken: cts.Token);
        var recovered = await store.RecoverAsync(cts.Token);

        Assert.Empty(recovered.Jobs);
        Assert.Equal(1L, await ScalarAsync<long>(db, "SELECT count(*) FROM tenant_b.jobs", cts.Token));
    }

    [Theory]
    [InlineData(256)] // the default: these few new jobs go by a plain INSERT from the unnest arrays
    [InlineData(1)] // every new job by binary COPY
    public async Task RecoverAsync_AfterCommits_ReturnsEveryFieldOfEveryJob(int copyThreshold)
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string db = await cluster.CreateDatabaseAsync("rt", cts.Token);
        JobRecord[] jobs =
        [
            Ready(1) with { Priority = 0, Body = ReadOnlyMemory<byte>.Empty },
            Ready(2, "emails") with
            {
                State = StoredJobState.Delayed, Priority = uint.MaxValue, ReadyAtMs = 1_900_000_000_123, TtrMs = 1_000,
                Key = "order-42", Headers = new Dictionary<string, string> { ["trace"] = "abc", ["quote\"d"] = "ünïcødé\n\\" },
            },
            Ready(3, "emails", bodyBytes: 200_000) with
            {
                State = StoredJobState.Reserved, Reserves = uint.MaxValue, Timeouts = 7, Releases = 8, Buries = 9, Kicks = 10,
            },
            Ready(4, "a:b/c.d-e_f") with { State = StoredJobState.Buried, BuriedAtMs = 1_800_000_000_999, Key = "k" },
            Ready(5) with { Key = "order-42" }, // same key, other topic: allowed
        ];

        await using (var writer = await StoreAsync(db, cancellationToken: cts.Token, copyThreshold: copyThreshold))
        {
            await writer.CommitAsync(Batch(5, [.. jobs.Select(JobMutation.Upsert)]), cts.Token);
            await writer.CommitAsync(Batch(9, JobMutation.Upsert(Ready(9)), JobMutation.Delete(9)), cts.Token);
        }

        var recovered = await RecoverInNewStoreAsync(db, cts.Token);

        Assert.Equal(9UL, recovered.IdHighWater);
        var byId = recovered.Jobs.ToDictionary(j => j.Id);
        Assert.Equal(jobs.Length, byId.Count);
        foreach (var expected in jobs)
        {
            AssertSameJob(expected, byId[expected.Id]);
        }
    }

    [Fact]
    public async Task RecoverAsync_HighWaterBelowLiveIds_ReportsHighestLiveId()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string db = await cluster.CreateDatabaseAsync("hw", cts.Token);
        await using var store = await StoreAsync(db, cancellationToken: cts.Token);

        await store.CommitAsync(Batch(0, JobMutation.Upsert(Ready(41))), cts.Token);
        var recovered = await store.RecoverAsync(cts.Token);

        Assert.Equal(41UL, recovered.IdHighWater);
    }

    [Fact]
    public async Task CommitAsync_PutsOnly_SkipsTheMarkAndIdsStillContinueAboveAfterRestart()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string db = await cluster.CreateDatabaseAsync("hwput", cts.Token);
        await using (var writer = await StoreAsync(db, cancellationToken: cts.Token))
        {
            await writer.CommitAsync(Batch(2, JobMutation.Upsert(Ready(1)), JobMutation.Upsert(Ready(2))), cts.Token);
            await writer.CommitAsync(Batch(3, JobMutation.Upsert(Ready(3))), cts.Token);
            // The engine's mark did not move: the row with id 3 still proves it.
            await writer.CommitAsync(Batch(3, JobMutation.Upsert(Ready(1) with { BodyUnchanged = true, State = StoredJobState.Reserved })), cts.Token);
        }

        // Every commit wrote the row with the batch's highest id, so none needed the stored mark.
        Assert.Equal(0L, await StoredMarkAsync(db, cts.Token));
        var recovered = await RecoverInNewStoreAsync(db, cts.Token);
        Assert.Equal(3UL, recovered.IdHighWater);
        Assert.Equal([1UL, 2UL, 3UL], recovered.Jobs.Select(j => j.Id).Order());
    }

    [Fact]
    public async Task CommitAsync_MarkAboveEveryWrittenRow_WritesTheMark()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string db = await cluster.CreateDatabaseAsync("hwgap", cts.Token);
        await using var store = await StoreAsync(db, cancellationToken: cts.Token);

        // Ids 2 to 9 were handed out but their jobs are not in this batch (rolled back, say).
        await store.CommitAsync(Batch(9, JobMutation.Upsert(Ready(1))), cts.Token);

        Assert.Equal(9L, await StoredMarkAsync(db, cts.Token));
        Assert.Equal(9UL, (await store.RecoverAsync(cts.Token)).IdHighWater);
    }

    [Fact]
    public async Task CommitAsync_DeleteOfTheHighestJob_WritesTheMarkSoItsIdIsNotReused()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string db = await cluster.CreateDatabaseAsync("hwdel", cts.Token);
        await using (var writer = await StoreAsync(db, cancellationToken: cts.Token))
        {
            await writer.CommitAsync(Batch(3, JobMutation.Upsert(Ready(1)), JobMutation.Upsert(Ready(2)), JobMutation.Upsert(Ready(3))), cts.Token);
            // Deletes beside a new highest row: that row proves the mark, still nothing to store.
            await writer.CommitAsync(Batch(4, JobMutation.Delete(1), JobMutation.Upsert(Ready(4))), cts.Token);
            Assert.Equal(0L, await StoredMarkAsync(db, cts.Token));

            // Id 4 goes, and no row above it proves the mark any more.
            await writer.CommitAsync(Batch(4, JobMutation.Delete(4)), cts.Token);
            Assert.Equal(4L, await StoredMarkAsync(db, cts.Token));

            // The stored mark covers deletes of lower ids from now on.
            await writer.CommitAsync(Batch(4, JobMutation.Delete(3)), cts.Token);
        }

        var recovered = await RecoverInNewStoreAsync(db, cts.Token);
        Assert.Equal(4UL, recovered.IdHighWater);
        Assert.Equal(2UL, Assert.Single(recovered.Jobs).Id);
    }

    [Fact]
    public async Task CommitAsync_DeleteAfterReopen_WritesTheMarkProvedOnlyByTheDeletedRow()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string db = await cluster.CreateDatabaseAsync("hwre", cts.Token);
        await using (var first = await StoreAsync(db, cancellationToken: cts.Token))
        {
            await first.CommitAsync(Batch(5, JobMutation.Upsert(Ready(4)), JobMutation.Upsert(Ready(5))), cts.Token);
        }

        // A store started without recovery counts, for a commit that deletes, only the stored mark
        // (0 here), not the highest stored id: deleting row 5 removes the only proof of mark 5, so
        // the commit stores it.
        await using (var second = await StoreAsync(db, cancellationToken: cts.Token))
        {
            await second.CommitAsync(Batch(5, JobMutation.Delete(5)), cts.Token);
        }

        var recovered = await RecoverInNewStoreAsync(db, cts.Token);
        Assert.Equal(5UL, recovered.IdHighWater);
        Assert.Equal(4UL, Assert.Single(recovered.Jobs).Id);
    }

    [Fact]
    public async Task CommitAsync_UpdateAfterReopenWithoutRecovery_UpdatesTheRowTheStoredMarkDoesNotCover()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string db = await cluster.CreateDatabaseAsync("hwupd", cts.Token);
        await using (var first = await StoreAsync(db, cancellationToken: cts.Token))
        {
            await first.CommitAsync(Batch(5, JobMutation.Upsert(Ready(4)), JobMutation.Upsert(Ready(5))), cts.Token);
        }

        // Row 5 proved the mark, so none was stored: only the highest stored id, read at start,
        // tells the new store that id 5 exists. Without it the update would go as a plain INSERT
        // and break the primary key.
        Assert.Equal(0L, await StoredMarkAsync(db, cts.Token));
        await using (var second = await StoreAsync(db, cancellationToken: cts.Token))
        {
            await second.CommitAsync(Batch(5, JobMutation.Upsert(Ready(5) with { Priority = 9 })), cts.Token);
        }

        var recovered = await RecoverInNewStoreAsync(db, cts.Token);
        Assert.Equal([4UL, 5UL], recovered.Jobs.Select(j => j.Id).Order());
        Assert.Equal(9U, recovered.Jobs.Single(j => j.Id == 5).Priority);
    }

    [Fact]
    public async Task RecoverAsync_EmptyStore_ReturnsNothing()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string db = await cluster.CreateDatabaseAsync("empty", cts.Token);
        await using var store = await StoreAsync(db, cancellationToken: cts.Token);

        var recovered = await store.RecoverAsync(cts.Token);

        Assert.Empty(recovered.Jobs);
        Assert.Equal(0UL, recovered.IdHighWater);
    }

    [Fact]
    public async Task CommitAsync_BodyUnchanged_KeepsStoredBodyAndUpdatesMetadata()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string db = await cluster.CreateDatabaseAsync("body", cts.Token);
        await using var store = await StoreAsync(db, cancellationToken: cts.Token);
        var original = Ready(1, bodyBytes: 64);
        await store.CommitAsync(Batch(1, JobMutation.Upsert(original)), cts.Token);

        var reserved = original with { Body = ReadOnlyMemory<byte>.Empty, BodyUnchanged = true, State = StoredJobState.Reserved, Reserves = 1 };
        await store.CommitAsync(Batch(1, JobMutation.Upsert(reserved)), cts.Token);

        var job = Assert.Single((await store.RecoverAsync(cts.Token)).Jobs);
        Assert.Equal(original.Body.ToArray(), job.Body.ToArray());
        Assert.Equal(StoredJobState.Reserved, job.State);
        Assert.Equal(1U, job.Reserves);
    }

    [Fact]
    public async Task CommitAsync_PutThenMetadataChangeInOneBatch_StoresThePutBody()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string db = await cluster.CreateDatabaseAsync("body2", cts.Token);
        await using var store = await StoreAsync(db, cancellationToken: cts.Token);
        var put = Ready(1, bodyBytes: 32);
        var buried = put with { Body = ReadOnlyMemory<byte>.Empty, BodyUnchanged = true, State = StoredJobState.Buried, Buries = 1 };

        await store.CommitAsync(Batch(1, JobMutation.Upsert(put), JobMutation.Upsert(buried)), cts.Token);

        var job = Assert.Single((await store.RecoverAsync(cts.Token)).Jobs);
        Assert.Equal(put.Body.ToArray(), job.Body.ToArray());
        Assert.Equal(StoredJobState.Buried, job.State);
    }

    [Fact]
    public async Task CommitAsync_UpsertThenDeleteInOneBatch_StoresNothingButHighWater()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string db = await cluster.CreateDatabaseAsync("updel", cts.Token);
        await using var store = await StoreAsync(db, cancellationToken: cts.Token);

        await store.CommitAsync(
            Batch(2, JobMutation.Upsert(Ready(1)), JobMutation.Upsert(Ready(2)), JobMutation.Upsert(Ready(1) with { Priority = 5 }), JobMutation.Delete(1)),
            cts.Token);

        var recovered = await store.RecoverAsync(cts.Token);
        Assert.Equal(2UL, Assert.Single(recovered.Jobs).Id);
        Assert.Equal(2UL, recovered.IdHighWater);
    }

    [Fact]
    public async Task CommitAsync_DeleteByKeyThenPutSameKeyInOneBatch_Commits()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string db = await cluster.CreateDatabaseAsync("rekey", cts.Token);
        await using var store = await StoreAsync(db, cancellationToken: cts.Token);
        await store.CommitAsync(Batch(1, JobMutation.Upsert(Ready(1, key: "k"))), cts.Token);

        await store.CommitAsync(Batch(2, JobMutation.Delete(1), JobMutation.Upsert(Ready(2, key: "k"))), cts.Token);

        var job = Assert.Single((await store.RecoverAsync(cts.Token)).Jobs);
        Assert.Equal(2UL, job.Id);
        Assert.Equal("k", job.Key);
    }

    [Fact]
    public async Task CommitAsync_CopyAlongsideDeletesAndUpdates_AppliesAllInOneTransaction()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string db = await cluster.CreateDatabaseAsync("copymix", cts.Token);
        await using var store = await StoreAsync(db, cancellationToken: cts.Token, copyThreshold: 2);
        await store.CommitAsync(Batch(2, JobMutation.Upsert(Ready(1, key: "k")), JobMutation.Upsert(Ready(2))), cts.Token);

        // Job 2 existed before this batch, so it is upserted; 3 and 4 are new and go by COPY, 3
        // taking the key that the deleted job 1 held.
        await store.CommitAsync(
            Batch(
                4,
                JobMutation.Delete(1),
                JobMutation.Upsert(Ready(2) with { State = StoredJobState.Buried, Buries = 1 }),
                JobMutation.Upsert(Ready(3, key: "k")),
                JobMutation.Upsert(Ready(4))),
            cts.Token);

        var recovered = await store.RecoverAsync(cts.Token);
        Assert.Equal([2UL, 3UL, 4UL], recovered.Jobs.Select(j => j.Id).Order());
        Assert.Equal(StoredJobState.Buried, recovered.Jobs.Single(j => j.Id == 2).State);
        Assert.Equal("k", recovered.Jobs.Single(j => j.Id == 3).Key);
        Assert.Equal(4UL, recovered.IdHighWater);
    }

    [Fact]
    public async Task CommitAsync_CopyOfDuplicateLiveKey_FailsWholeAndAppliesNothing()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string db = await cluster.CreateDatabaseAsync("copyatomic", cts.Token);
        await using var store = await StoreAsync(db, cancellationToken: cts.Token, copyThreshold: 1);
        await store.CommitAsync(Batch(2, JobMutation.Upsert(Ready(1, key: "k")), JobMutation.Upsert(Ready(2))), cts.Token);

        // The delete and the high-water raise run before the COPY, whose second row breaks the key.
        var bad = Batch(10, JobMutation.Delete(2), JobMutation.Upsert(Ready(3)), JobMutation.Upsert(Ready(4, key: "k")));
        await Assert.ThrowsAsync<StorageUnavailableException>(async () => await store.CommitAsync(bad, cts.Token));

        var recovered = await store.RecoverAsync(cts.Token);
        Assert.Equal([1UL, 2UL], recovered.Jobs.Select(j => j.Id).Order());
        Assert.Equal(2UL, recovered.IdHighWater);
        await store.CommitAsync(Batch(10, JobMutation.Upsert(Ready(10))), cts.Token);
        Assert.Equal(3, (await store.RecoverAsync(cts.Token)).Jobs.Count);
    }

    [Fact]
    public async Task CommitAsync_StoreReopenedWithoutRecovery_UpdatesExistingRowsInsteadOfCopyingThem()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string db = await cluster.CreateDatabaseAsync("reopen", cts.Token);
        await using (var first = await StoreAsync(db, cancellationToken: cts.Token))
        {
            await first.CommitAsync(Batch(2, JobMutation.Upsert(Ready(1)), JobMutation.Upsert(Ready(2))), cts.Token);
        }

        // A new store knows the stored high-water mark from its start, so ids 1 and 2 are known
        // to exist; a COPY of them would break the primary key.
        await using var second = await StoreAsync(db, cancellationToken: cts.Token, copyThreshold: 1);
        await second.CommitAsync(Batch(3, JobMutation.Upsert(Ready(1) with { Priority = 7 }), JobMutation.Upsert(Ready(2)), JobMutation.Upsert(Ready(3))), cts.Token);

        var recovered = await second.RecoverAsync(cts.Token);
        Assert.Equal(3, recovered.Jobs.Count);
        Assert.Equal(7U, recovered.Jobs.Single(j => j.Id == 1).Priority);
    }

    [Fact]
    public async Task CommitAsync_DuplicateLiveKey_FailsWholeAndAppliesNothing()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string db = await cluster.CreateDatabaseAsync("atomic", cts.Token);
        await using var store = await StoreAsync(db, cancellationToken: cts.Token);
        await store.CommitAsync(Batch(2, JobMutation.Upsert(Ready(1, key: "k")), JobMutation.Upsert(Ready(2))), cts.Token);

        var bad = Batch(
            10,
            JobMutation.Delete(2),
            JobMutation.Upsert(Ready(3)),
            JobMutation.Upsert(Ready(1, key: "k") with { BodyUnchanged = true, State = StoredJobState.Buried }),
            JobMutation.Upsert(Ready(4, key: "k")));
        var ex = await Assert.ThrowsAsync<StorageUnavailableException>(async () => await store.CommitAsync(bad, cts.Token));

        Assert.NotNull(ex.InnerException);
        var recovered = await store.RecoverAsync(cts.Token);
        Assert.Equal([1UL, 2UL], recovered.Jobs.Select(j => j.Id).Order());
        Assert.All(recovered.Jobs, j => Assert.Equal(StoredJobState.Ready, j.State));
        Assert.Equal(2UL, recovered.IdHighWater);

        // The store is not poisoned: the next batch commits.
        await store.CommitAsync(Batch(10, JobMutation.Upsert(Ready(10))), cts.Token);
        Assert.Equal(3, (await store.RecoverAsync(cts.Token)).Jobs.Count);
    }

    [Fact]
    public async Task CommitAsync_ThousandsOfJobsInOneBatch_AllRecovered()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string db = await cluster.CreateDatabaseAsync("big", cts.Token);
        await using var store = await StoreAsync(db, cancellationToken: cts.Token);
        var batch = Batch(5_000, [.. Enumerable.Range(1, 5_000).Select(i => JobMutation.Upsert(Ready((ulong)i, "t" + (i % 7), key: "key" + i)))]);

        await store.CommitAsync(batch, cts.Token);

        var recovered = await store.RecoverAsync(cts.Token);
        Assert.Equal(5_000, recovered.Jobs.Count);
        Assert.Equal(7, recovered.Jobs.Select(j => j.Topic).Distinct().Count());
        // Topics are shared strings, not one per job.
        Assert.Same(recovered.Jobs.First(j => j.Topic == "t3").Topic, recovered.Jobs.Last(j => j.Topic == "t3").Topic);
    }

    [Fact]
    public async Task CommitAsync_MoreConcurrentCallersThanCommitsInFlight_CommitsEveryBatch()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string db = await cluster.CreateDatabaseAsync("conc", cts.Token);
        await using var store = await StoreAsync(db, cancellationToken: cts.Token, commitsInFlight: 2);

        // The engine never sends more than MaxCommitsInFlight (2 here) at once; the store must
        // still make the rest wait, and not interleave two batches' columns.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(b => Task.Run(async () =>
        {
            var ids = Enumerable.Range(1, 50).Select(i => (ulong)(b * 50 + i)).ToArray();
            await store.CommitAsync(Batch(ids[^1], [.. ids.Select(id => JobMutation.Upsert(Ready(id, bodyBytes: (int)(id % 40))))]), cts.Token);
        })));

        var recovered = await store.RecoverAsync(cts.Token);
        Assert.Equal(400, recovered.Jobs.Count);
        Assert.All(recovered.Jobs, j => Assert.Equal(Body(j.Id, (int)(j.Id % 40)), j.Body.ToArray()));
        Assert.Equal(400UL, recovered.IdHighWater);
    }

    [Fact]
    public async Task ReadBodiesAsync_MixedIds_ReturnsBodiesInRequestOrderEmptyForMissing()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string db = await cluster.CreateDatabaseAsync("bodies", cts.Token);
        await using var store = await StoreAsync(db, cancellationToken: cts.Token);
        await store.CommitAsync(Batch(3, JobMutation.Upsert(Ready(1, bodyBytes: 10)), JobMutation.Upsert(Ready(2, bodyBytes: 20)), JobMutation.Upsert(Ready(3, bodyBytes: 30))), cts.Token);

        var bodies = await store.ReadBodiesAsync([3, 99, 1, 3], cts.Token);

        Assert.Equal(4, bodies.Length);
        Assert.Equal(Body(3, 30), bodies[0].ToArray());
        Assert.True(bodies[1].IsEmpty);
        Assert.Equal(Body(1, 10), bodies[2].ToArray());
        Assert.Equal(Body(3, 30), bodies[3].ToArray());
        Assert.Empty(await store.ReadBodiesAsync([], cts.Token));
    }

    /// <summary>The id high-water mark as stored, without the rows that may prove a higher one.</summary>
    private static Task<long> StoredMarkAsync(string db, CancellationToken cancellationToken) =>
        ScalarAsync<long>(db, "SELECT id_high_water FROM chronoq.meta", cancellationToken);

    /// <summary>What a restart would recover: a new store on <paramref name="db"/>, recovered and closed.</summary>
    private static async Task<RecoveredState> RecoverInNewStoreAsync(string db, CancellationToken cancellationToken)
    {
        await using var store = await StoreAsync(db, cancellationToken: cancellationToken);
        return await store.RecoverAsync(cancellationToken);
    }

    private static void AssertSameJob(JobRecord expected, JobRecord actual)
    {
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.Topic, actual.Topic);
        Assert.Equal(expected.Body.ToArray(), actual.Body.ToArray());
        Assert.False(actual.BodyUnchanged);
        Assert.Equal(expected.Priority, actual.Priority);
        Assert.Equal(expected.State, actual.State);
        Assert.Equal(expected.ReadyAtMs, actual.ReadyAtMs);
        Assert.Equal(expected.TtrMs, actual.TtrMs);
        Assert.Equal(expected.Key, actual.Key);
        Assert.Equal(expected.CreatedAtMs, actual.CreatedAtMs);
        Assert.Equal(expected.BuriedAtMs, actual.BuriedAtMs);
        Assert.Equal(expected.Reserves, actual.Reserves);
        Assert.Equal(expected.Timeouts, actual.Timeouts);
        Assert.Equal(expected.Releases, actual.Releases);
        Assert.Equal(expected.Buries, actual.Buries);
        Assert.Equal(expected.Kicks, actual.Kicks);
        if (expected.Headers is null)
        {
            Assert.Null(actual.Headers);
        }
        else
        {
            Assert.Equal(expected.Headers.OrderBy(h => h.Key, StringComparer.Ordinal), actual.Headers!.OrderBy(h => h.Key, StringComparer.Ordinal));
        }
    }
}
