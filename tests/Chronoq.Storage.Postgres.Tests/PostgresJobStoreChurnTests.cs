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
    private const int Rounds = 6;

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

        // Bytes one stored job takes (heap and indexes, fresh table, nothing dead yet).
        long initialSize = await ScalarAsync<long>(db, "SELECT pg_total_relation_size('chronoq.jobs')", cts.Token);
        double bytesPerJob = (double)initialSize / LiveJobs;
        output.WriteLine($"{LiveJobs} live jobs: {initialSize / 1024} KiB ({bytesPerJob:0} B per job)");

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
        // Between two VACUUMs a round inserts 40k rows while its deletes leave 40k dead ones, so
        // the steady state holds the live jobs plus about two rounds of rows; 2.5 rounds is the
        // ceiling. Without space reuse the table would hold every row ever inserted: 242k rows,
        // about 2.4x the ceiling, by the last round.
        long ceiling = (long)(bytesPerJob * (LiveJobs + 2.5 * BatchesPerRound * PerBatch));
        output.WriteLine($"ceiling {ceiling / 1024} KiB; without reuse ~{(long)(bytesPerJob * (nextId - 1)) / 1024} KiB");
        Assert.True(sizes.Max() <= ceiling, $"grew to {sizes.Max()} bytes, ceiling {ceiling}: {string.Join(", ", sizes)}");
    }
}
