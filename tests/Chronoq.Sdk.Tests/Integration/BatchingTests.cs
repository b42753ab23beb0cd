using Chronoq.Protocol.Grpc;
using Chronoq.Protocol.V1;
using Chronoq.Sdk.Tests.Support;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Chronoq.Sdk.Tests.Integration;

[Collection(ServerCollection.Name)]
public sealed class BatchingTests(ServerFixture fixture) : IDisposable
{
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(30));

    private CancellationToken Token => _timeout.Token;

    public void Dispose() => _timeout.Dispose();

    [Fact]
    public async Task PutAsync_ManyConcurrentCallers_CoalescedIntoFewerCallsEachWithItsOwnId()
    {
        await using var client = fixture.CreateClient();
        var topic = TestTopics.Unique("coalesce");

        var puts = Enumerable.Range(0, 500).Select(i => client.PutAsync(topic, BitConverter.GetBytes(i), cancellationToken: Token)).ToArray();
        var results = await Task.WhenAll(puts);

        Assert.Equal(500, results.Select(static r => r.Id).Distinct().Count());
        Assert.True(client.PutBatchesSent < 500, $"expected fewer than 500 calls, saw {client.PutBatchesSent}");
        for (var i = 0; i < 500; i += 50)
        {
            var job = (await client.PeekAsync(results[i].Id, Token))!;
            Assert.Equal(i, BitConverter.ToInt32(job.Body.Span));
        }
    }

    [Fact]
    public async Task PutAsync_OneInvalidAmongBatchedPuts_OnlyThatCallerFails()
    {
        // A linger makes sure the puts share batches; the bad run_at passes the client's checks, so the server refuses the batch naming jobs[i].
        await using var client = fixture.CreateClient(o => o with { BatchLinger = TimeSpan.FromMilliseconds(50), MaxBatchesInFlight = 1 });
        var topic = TestTopics.Unique("onebad");
        var bad = new PutRequest { Topic = topic, Body = ByteString.CopyFromUtf8("bad"), RunAt = new Timestamp { Seconds = 0, Nanos = -5 } };

        var good = Enumerable.Range(0, 20).Select(i => client.PutAsync(topic, BitConverter.GetBytes(i), cancellationToken: Token)).ToList();
        var failing = client.PutAsync(bad, Token);
        good.AddRange(Enumerable.Range(20, 20).Select(i => client.PutAsync(topic, BitConverter.GetBytes(i), cancellationToken: Token)));
        var clientSideBad = client.PutAsync("no spaces allowed", "x"u8.ToArray(), cancellationToken: Token);

        var error = await Assert.ThrowsAsync<RpcException>(() => failing);
        var clientError = await Assert.ThrowsAsync<RpcException>(() => clientSideBad);
        var results = await Task.WhenAll(good);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("run_at", error.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, clientError.StatusCode);
        Assert.Equal(40, results.Select(static r => r.Id).Distinct().Count());
        Assert.Equal(40ul, (await client.GetTopicStatsAsync(topic, Token)).Ready);
    }

    [Fact]
    public async Task PutAsync_OneOversizedBodyAmongBatchedPuts_OnlyThatCallerFails()
    {
        // The server's default body limit is 1 MiB; a batch byte budget above it lets the big put share a batch with small ones.
        await using var client = fixture.CreateClient(o => o with { BatchLinger = TimeSpan.FromMilliseconds(50), MaxBatchesInFlight = 1, MaxBatchBytes = 3 * 1024 * 1024 });
        var topic = TestTopics.Unique("oversized");

        var small = Enumerable.Range(0, 10).Select(i => client.PutAsync(topic, BitConverter.GetBytes(i), cancellationToken: Token)).ToList();
        var big = client.PutAsync(topic, new byte[(1024 * 1024) + 1], cancellationToken: Token);
        small.AddRange(Enumerable.Range(10, 10).Select(i => client.PutAsync(topic, BitConverter.GetBytes(i), cancellationToken: Token)));

        var error = await Assert.ThrowsAsync<RpcException>(() => big);
        var results = await Task.WhenAll(small);

        Assert.True(error.StatusCode is StatusCode.ResourceExhausted or StatusCode.InvalidArgument, error.ToString());
        Assert.Equal(20, results.Select(static r => r.Id).Distinct().Count());
        Assert.Equal(20ul, (await client.GetTopicStatsAsync(topic, Token)).Ready);
    }

    [Fact]
    public async Task DeleteAsync_ManyConcurrentAcks_CoalescedAndEachAnsweredOnItsOwn()
    {
        await using var client = fixture.CreateClient();
        var topic = TestTopics.Unique("acks");
        await Task.WhenAll(Enumerable.Range(0, 100).Select(i => client.PutAsync(topic, BitConverter.GetBytes(i), cancellationToken: Token)));
        var handles = new List<ReservedJobHandle>();
        for (var i = 0; i < 100; i++)
        {
            handles.Add((await client.ReserveOneAsync(topic, TimeSpan.FromSeconds(5), Token))!);
        }

        var batchesBefore = client.DeleteBatchesSent;
        var stale = client.DeleteAsync(handles[0].Id, handles[0].Reservation + 1000, Token);
        var acks = handles.Skip(1).Select(h => h.DeleteAsync(Token)).ToArray();
        await Task.WhenAll(acks);
        var staleError = await Assert.ThrowsAsync<RpcException>(() => stale);

        Assert.Equal(StatusCode.FailedPrecondition, staleError.StatusCode);
        Assert.True(client.DeleteBatchesSent - batchesBefore < 100, $"expected fewer than 100 calls, saw {client.DeleteBatchesSent - batchesBefore}");
        var stats = await client.GetTopicStatsAsync(topic, Token);
        Assert.Equal(1ul, stats.Reserved);
        Assert.Equal(99ul, stats.TotalDeletes);
    }
}
