using Chronoq.Core.Storage;
using Chronoq.Testing.Postgres;
using Xunit.Abstractions;
using static Chronoq.Storage.Postgres.Tests.TestJobs;

namespace Chronoq.Storage.Postgres.Tests;

/// <summary>A queue deletes every row it inserts: the table must not grow with the churn.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresJobStoreChurnTests(PostgresCluster cluster, ITestOutputHelper output)
{
    private const int LiveJobs = 2_000;
    private const int PerBatch = 1_000;
    private const int BatchesPerRound = 40;
    private const int Rounds = 5;

    [Fact]
    public async Task CommitAsync_PutDeleteChurn_TableAndIndexSizeStayBounded()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(110));
        string db = await cluster.CreateDatabaseAsync("churn", cts.Token);
        await using var store = await StoreAsync(db, TimeSpan.FromSeconds(10), cts.Token);

        ulong nextId = 1;
        var batch = new MutationBatch();
        for (int i = 0; i < LiveJobs; i++, nextId++)
        {
            batch.Mutations.Add(JobMutation.Upsert(Ready(nextId, bodyBytes: 100)));
        }

        batch.IdHighWater = nextId - 1;
        await store.CommitAsync(batch, cts.Token);

        var sizes = new List<long>();
        ulong oldest = 1;
        for (int round = 0; round < Rounds; round++)
        {
            for (int b = 0; b < BatchesPerRound; b++)
            {
                batch.Clear();
                for (int i = 0; i < PerBatch; i++, nextId++, oldest++)
                {
                    batch.Mutations.Add(JobMutation.Upsert(Ready(nextId, bodyBytes: 100)));
                    batch.Mutations.Add(JobMutation.Delete(oldest));
                }

                batch.IdHighWater = nextId - 1;
                await store.CommitAsync(batch, cts.Token);
            }

            // What autovacuum does on its own schedule, done here at a known point so the test
            // does not depend on timing.
            await ScalarAsync<object>(db, "VACUUM chronoq.jobs", cts.Token);
            long size = await ScalarAsync<long>(db, "SELECT pg_total_relation_size('chronoq.jobs')", cts.Token);
            sizes.Add(size);
            output.WriteLine($"after {(round + 1) * BatchesPerRound * PerBatch} puts+deletes: {size / 1024} KiB");
        }

        var recovered = await store.RecoverAsync(cts.Token);
        Assert.Equal(LiveJobs, recovered.Jobs.Count);
        Assert.Equal(nextId - 1, recovered.IdHighWater);
        // The first round's size is the steady state (live rows plus one round of reusable free
        // space); later rounds must reuse it instead of growing with every 40k puts.
        Assert.True(sizes.Max() <= sizes[0] * 3 / 2, $"grew from {sizes[0]} to {sizes.Max()} bytes: {string.Join(", ", sizes)}");
    }
}
