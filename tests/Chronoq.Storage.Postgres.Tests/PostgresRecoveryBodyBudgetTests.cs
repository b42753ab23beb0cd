using Chronoq.Core.Storage;
using Chronoq.Testing.Postgres;
using static Chronoq.Storage.Postgres.Tests.TestJobs;

namespace Chronoq.Storage.Postgres.Tests;

/// <summary>Recovery under a body budget: bodies are loaded only up to it; the rest stay in PostgreSQL.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresRecoveryBodyBudgetTests(PostgresCluster cluster)
{
    [Fact]
    public async Task RecoverAsync_BodyBudget_LoadsBodiesUpToItAndMarksTheRestForReadBack()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string db = await cluster.CreateDatabaseAsync("recbudget", cts.Token);
        await using (var writer = await StoreAsync(db, cancellationToken: cts.Token))
        {
            var puts = Enumerable.Range(1, 50).Select(i => JobMutation.Upsert(Ready((ulong)i, bodyBytes: 100))).ToArray();
            await writer.CommitAsync(Batch(50, puts), cts.Token);
        }

        var options = new PostgresStoreOptions { ConnectionString = db, BodyCacheBytes = 1_000 };
        await using var store = await PostgresJobStore.CreateAsync(options, null, cts.Token);
        var recovered = await store.RecoverAsync(cts.Token);

        Assert.Equal(50, recovered.Jobs.Count);
        var loaded = recovered.Jobs.Where(j => !j.BodyUnchanged).ToArray();
        // Loading stops once the budget is reached: ten 100-byte bodies.
        Assert.Equal(10, loaded.Length);
        Assert.All(loaded, j => Assert.Equal(Body(j.Id, 100), j.Body.ToArray()));
        var left = recovered.Jobs.Where(j => j.BodyUnchanged).ToArray();
        Assert.All(left, j => Assert.True(j.Body.IsEmpty));

        // What was left out is still there to read back, with every other field recovered.
        var bodies = await store.ReadBodiesAsync(left.Select(j => j.Id).ToArray(), cts.Token);
        for (var i = 0; i < left.Length; i++)
        {
            Assert.Equal(Body(left[i].Id, 100), bodies[i].ToArray());
            Assert.Equal(Ready(left[i].Id).Topic, left[i].Topic);
        }
    }

    [Fact]
    public async Task RecoverAsync_BodyBudgetZero_LoadsEveryBody()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string db = await cluster.CreateDatabaseAsync("recnobudget", cts.Token);
        await using (var writer = await StoreAsync(db, cancellationToken: cts.Token))
        {
            var puts = Enumerable.Range(1, 20).Select(i => JobMutation.Upsert(Ready((ulong)i, bodyBytes: 100))).ToArray();
            await writer.CommitAsync(Batch(20, puts), cts.Token);
        }

        var options = new PostgresStoreOptions { ConnectionString = db, BodyCacheBytes = 0 };
        await using var store = await PostgresJobStore.CreateAsync(options, null, cts.Token);
        var recovered = await store.RecoverAsync(cts.Token);

        Assert.All(recovered.Jobs, j => Assert.False(j.BodyUnchanged));
        Assert.All(recovered.Jobs, j => Assert.Equal(Body(j.Id, 100), j.Body.ToArray()));
    }
}
