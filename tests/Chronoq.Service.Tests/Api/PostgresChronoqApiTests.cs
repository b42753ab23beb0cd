using Chronoq.Protocol.Grpc;
using Chronoq.Protocol.V1;
using Chronoq.Service.Storage;
using Chronoq.Testing.Postgres;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using static Chronoq.Service.Tests.Api.ApiClient;

namespace Chronoq.Service.Tests.Api;

/// <summary>The API contract in durable mode (PostgreSQL storage), plus what only durability adds: restarts.</summary>
[Collection(PostgresApiCollection.Name)]
public sealed class PostgresChronoqApiTests(PostgresCluster cluster) : PostgresApiContractTestsBase(cluster, "api")
{
    [Fact]
    public async Task Restart_SameDatabase_StatesPrioritiesReadyAtKeysAndIdsPreserved()
    {
        var keyed = Job("keyed", 4);
        keyed.Key = "business-key";
        keyed.Headers.Add("h", "v");
        var keyedId = (await Client.PutAsync(keyed)).Id;

        var delayedRequest = Job("delayed", 8);
        delayedRequest.Delay = Duration.FromTimeSpan(TimeSpan.FromHours(5));
        var delayedId = (await Client.PutAsync(delayedRequest)).Id;

        var buriedId = await PutAsync("buried", 3);
        var reservation = (await Client.ReserveJobAsync(buriedId)).Reservation;
        await Client.BuryAsync(new BuryRequest { Id = buriedId, Reservation = reservation, Priority = 1 });

        var releasedId = await PutAsync("released", 6);
        reservation = (await Client.ReserveJobAsync(releasedId)).Reservation;
        await Client.ReleaseAsync(new ReleaseRequest { Id = releasedId, Reservation = reservation, Priority = 2, Delay = Duration.FromTimeSpan(TimeSpan.FromHours(1)) });

        var heldId = await PutAsync("held", 5);
        await Client.ReserveJobAsync(heldId);

        var deletedId = await PutAsync("deleted");
        await Client.DeleteAsync(deletedId);

        var before = new Dictionary<ulong, Job>();
        foreach (var id in new[] { keyedId, delayedId, buriedId, releasedId, heldId })
        {
            before[id] = await Client.PeekAsync(id);
        }

        await RestartServerAsync();

        foreach (var id in new[] { keyedId, delayedId, buriedId, releasedId })
        {
            var job = await Client.PeekAsync(id);
            var old = before[id];
            Assert.Equal((old.State, old.Priority, old.Body, old.Key, old.Ttr), (job.State, job.Priority, job.Body, job.Key, job.Ttr));
            Assert.Equal(old.ReadyAt, job.ReadyAt);
            Assert.Equal(old.CreatedAt, job.CreatedAt);
            Assert.Equal((old.Reserves, old.Releases, old.Buries), (job.Reserves, job.Releases, job.Buries));
            Assert.Equal(old.Headers, job.Headers);
        }

        // A job reserved when the server stopped comes back READY; a deleted one stays gone.
        Assert.Equal(JobState.Ready, (await Client.PeekAsync(heldId)).State);
        await Assert.ThrowsAsync<Chronoq.Protocol.Grpc.RpcException>(() => Client.PeekAsync(deletedId));

        // The key is still live; new ids continue above every id handed out before.
        var again = await Client.PutAsync(keyed);
        Assert.Equal((keyedId, false), (again.Id, again.Created));
        var fresh = await PutAsync("fresh");
        Assert.True(fresh > deletedId, $"new id {fresh} must be above the old high-water mark {deletedId}");
        Assert.Equal(JobState.Buried, (await Client.PeekNextAsync(Topic, JobState.Buried)).State);
        Assert.Equal(1u, (await Client.KickAsync(Topic, 1)).Kicked);
        Assert.Equal(JobState.Ready, (await Client.PeekAsync(buriedId)).State);
    }

    [Fact]
    public async Task Restart_DeleteOfARecoveredJob_DeletedAndStillGoneAfterAnotherRestart()
    {
        var deleted = await PutAsync("deleted after the restart");
        var kept = await PutAsync("kept");

        await RestartServerAsync();
        Assert.Equal("deleted after the restart", (await Client.PeekAsync(deleted)).Body.ToStringUtf8());
        await Client.DeleteAsync(deleted);
        await FailsAsync(StatusCode.NotFound, () => Client.PeekAsync(deleted));

        await RestartServerAsync();
        await FailsAsync(StatusCode.NotFound, () => Client.PeekAsync(deleted));
        await FailsAsync(StatusCode.NotFound, () => Client.DeleteAsync(deleted));
        Assert.Equal("kept", (await Client.PeekAsync(kept)).Body.ToStringUtf8());
        Assert.Equal(1UL, (await Client.GetTopicStatsAsync(Topic)).Ready);
    }

    [Fact]
    public async Task Restart_EmptyDatabase_StartsAndServes()
    {
        await RestartServerAsync();
        Assert.Equal("postgres", (await Client.GetServerStatsAsync()).Storage);
        Assert.Equal(0UL, (await Client.GetServerStatsAsync()).TotalPuts);
        Assert.NotEqual(0UL, (await Client.PutAsync(Job())).Id);
    }
}
