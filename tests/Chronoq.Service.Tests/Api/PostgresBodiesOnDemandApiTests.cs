using System.Diagnostics.Metrics;
using Chronoq.Core.Telemetry;
using Chronoq.Protocol.V1;
using Chronoq.Service.Storage;
using Chronoq.Testing.Postgres;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Chronoq.Service.Tests.Api;

/// <summary>
/// The API contract in durable mode with a body budget smaller than any body: every job handed out
/// or peeked has its body read back from PostgreSQL. Plus many distinct bodies, and a restart.
/// </summary>
[Collection(PostgresApiCollection.Name)]
public sealed class PostgresBodiesOnDemandApiTests(PostgresCluster cluster) : PostgresApiContractTestsBase(cluster, "bodies")
{
    // One byte: smaller than any non-empty body, so every committed body leaves memory.
    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings => [new("Chronoq:Storage:BodyCacheBytes", "1")];

    /// <summary>Distinct bodies of varied sizes (empty included), from a fixed seed.</summary>
    private static byte[][] Bodies(int count, int seed)
    {
        var random = new Random(seed);
        var bodies = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            var body = new byte[i % 97 == 0 ? 0 : random.Next(1, 3000)];
            random.NextBytes(body);
            if (body.Length >= 4)
            {
                BitConverter.TryWriteBytes(body, i); // distinct even if the generator repeated itself
            }

            bodies[i] = body;
        }

        return bodies;
    }

    private async Task<Dictionary<ulong, byte[]>> PutAllAsync(byte[][] bodies, string topic)
    {
        var byId = new Dictionary<ulong, byte[]>();
        const int BatchSize = 250;
        for (var start = 0; start < bodies.Length; start += BatchSize)
        {
            var request = new PutBatchRequest();
            for (var i = start; i < Math.Min(start + BatchSize, bodies.Length); i++)
            {
                request.Jobs.Add(new PutRequest { Topic = topic, Body = ByteString.CopyFrom(bodies[i]) });
            }

            var response = await Client.PutBatchAsync(request);
            for (var i = 0; i < response.Results.Count; i++)
            {
                byId.Add(response.Results[i].Id, bodies[start + i]);
            }
        }

        return byId;
    }

    [Fact]
    public async Task ManyDistinctBodies_PeekedAndReservedOverGrpc_EveryBodyByteIdentical()
    {
        const string ManyTopic = "many";
        // Proves the setting reached the engine: bodies really are read back (no other test in this
        // process sets a budget small enough to read any).
        long bodiesRead = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ChronoqInstrumentation.MeterName && instrument.Name == "chronoq.body_cache.bodies_read")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref bodiesRead, value));
        listener.Start();
        var expected = await PutAllAsync(Bodies(1500, seed: 11), ManyTopic);

        foreach (var (id, body) in expected)
        {
            Assert.Equal(body, (await Client.PeekAsync(id)).Body.ToByteArray());
        }

        var first = expected.Keys.Min();
        Assert.Equal(expected[first], (await Client.PeekNextAsync(ManyTopic, JobState.Ready)).Body.ToByteArray());
        var one = (await Client.ReserveOneAsync(new ReserveOneRequest { Topics = { ManyTopic } })).Job;
        Assert.Equal(first, one.Job.Id);
        Assert.Equal(expected[first], one.Job.Body.ToByteArray());
        await Client.DeleteAsync(one.Job.Id, one.Reservation);

        var seen = new HashSet<ulong> { first };
        await using (var stream = new ReserveStream(Client, new ReserveRequest { Topics = { ManyTopic }, Prefetch = 200 }))
        {
            var acks = new DeleteBatchRequest();
            while (seen.Count < expected.Count)
            {
                var job = await stream.NextJobAsync();
                Assert.True(seen.Add(job.Job.Id), $"job {job.Job.Id} delivered twice");
                Assert.Equal(expected[job.Job.Id], job.Job.Body.ToByteArray());
                acks.Jobs.Add(new DeleteRequest { Id = job.Job.Id, Reservation = job.Reservation });
                if (acks.Jobs.Count == 100 || seen.Count == expected.Count)
                {
                    Assert.All((await Client.DeleteBatchAsync(acks)).Results, r => Assert.Equal(0, r.Code));
                    acks = new DeleteBatchRequest();
                }
            }
        }

        Assert.Equal(0UL, (await Client.GetTopicStatsAsync(ManyTopic)).Ready);
        // Every non-empty body was peeked once and delivered once, each time from PostgreSQL.
        Assert.True(Interlocked.Read(ref bodiesRead) >= 2 * expected.Values.Count(b => b.Length > 0), $"only {bodiesRead} bodies were read back");
    }

    [Fact]
    public async Task Restart_WithBudget_RecoveredJobsOfEveryStateKeepTheirBodies()
    {
        const string RestartTopic = "restart";
        var expected = await PutAllAsync(Bodies(400, seed: 5), RestartTopic);
        var ids = expected.Keys.Order().ToArray();

        // A buried job and a delayed one (released with a delay) besides the ready ones.
        var buried = await Client.ReserveJobAsync(ids[0]);
        await Client.BuryAsync(new BuryRequest { Id = ids[0], Reservation = buried.Reservation });
        var delayed = await Client.ReserveJobAsync(ids[1]);
        await Client.ReleaseAsync(new ReleaseRequest { Id = ids[1], Reservation = delayed.Reservation, Delay = Duration.FromTimeSpan(TimeSpan.FromHours(1)) });

        await RestartServerAsync();

        Assert.Equal(expected[ids[0]], (await Client.PeekNextAsync(RestartTopic, JobState.Buried)).Body.ToByteArray());
        Assert.Equal(expected[ids[1]], (await Client.PeekNextAsync(RestartTopic, JobState.Delayed)).Body.ToByteArray());
        Assert.Equal(expected[ids[1]], (await Client.ReserveJobAsync(ids[1])).Job.Body.ToByteArray());
        await Client.KickJobAsync(ids[0]);
        foreach (var id in ids)
        {
            Assert.Equal(expected[id], (await Client.PeekAsync(id)).Body.ToByteArray());
        }

        var seen = 1; // ids[1] is held by the ReserveJob above
        await using var stream = new ReserveStream(Client, new ReserveRequest { Topics = { RestartTopic }, Prefetch = 1000 });
        while (seen < ids.Length)
        {
            var job = await stream.NextJobAsync();
            Assert.Equal(expected[job.Job.Id], job.Job.Body.ToByteArray());
            seen++;
        }
    }
}
