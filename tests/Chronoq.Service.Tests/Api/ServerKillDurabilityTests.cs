using System.Collections.Concurrent;
using Chronoq.Protocol.Grpc;
using Chronoq.Protocol.V1;
using Chronoq.Service.Storage;
using Chronoq.Testing;
using Chronoq.Testing.Postgres;
using Google.Protobuf;

namespace Chronoq.Service.Tests.Api;

/// <summary>Durability against a server killed with SIGKILL under load: what it acknowledged is what it keeps.</summary>
[Collection(PostgresApiCollection.Name)]
public sealed class ServerKillDurabilityTests(PostgresCluster cluster)
{
    private const string Topic = "kill";

    [Fact]
    public async Task Kill9_UnderPutAndDeleteLoad_EveryAcknowledgedPutPresentEveryAcknowledgedDeleteAbsent()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(180));
        var database = await cluster.CreateDatabaseAsync("kill", timeout.Token);
        var environment = new Dictionary<string, string> { ["ConnectionStrings__Chronoq"] = database };
        var puts = new ConcurrentDictionary<ulong, bool>();
        var deletes = new ConcurrentDictionary<ulong, bool>();
        var deleteAttempts = new ConcurrentDictionary<ulong, bool>();
        var toDelete = new ConcurrentQueue<ulong>();
        var process = await ServerProcess.StartAsync(environment, timeout.Token);
        await using (process)
        {
            using var client = new ApiClient(process.GrpcAddress);
            using var load = new CancellationTokenSource();
            var workers = new List<Task>();
            for (var w = 0; w < 4; w++)
            {
                var worker = w;
                workers.Add(Task.Run(async () =>
                {
                    var n = 0;
                    while (!load.IsCancellationRequested)
                    {
                        try
                        {
                            var id = (await client.PutAsync(new PutRequest { Topic = Topic, Body = ByteString.CopyFromUtf8($"{worker}-{n++}") })).Id;
                            puts[id] = true;
                            if (n % 2 == 0)
                            {
                                toDelete.Enqueue(id);
                            }
                        }
                        catch (RpcException)
                        {
                            // Unacknowledged (the server died mid-call): either outcome is allowed.
                        }
                    }
                }));
            }

            for (var w = 0; w < 2; w++)
            {
                workers.Add(Task.Run(async () =>
                {
                    while (!load.IsCancellationRequested)
                    {
                        if (!toDelete.TryDequeue(out var id))
                        {
                            await Task.Delay(1);
                            continue;
                        }

                        deleteAttempts[id] = true;
                        try
                        {
                            await client.DeleteAsync(id);
                            deletes[id] = true;
                        }
                        catch (RpcException)
                        {
                            // Unacknowledged.
                        }
                    }
                }));
            }

            await Task.Delay(TimeSpan.FromSeconds(2), timeout.Token);
            await process.KillAsync();
            await load.CancelAsync();
            await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(30), timeout.Token);
        }

        Assert.True(puts.Count > 50, $"only {puts.Count} puts were acknowledged; the load did not run");
        Assert.True(deletes.Count > 10, $"only {deletes.Count} deletes were acknowledged; the load did not run");

        await using var restarted = await LoopbackServer.StartAsync(options => options.Configuration[ChronoqStorageOptions.ConnectionStringSetting] = database, timeout.Token);
        using var verify = new ApiClient(restarted.GrpcAddress);
        foreach (var id in puts.Keys)
        {
            if (deletes.ContainsKey(id))
            {
                var failure = await Assert.ThrowsAsync<RpcException>(() => verify.PeekAsync(id));
                Assert.True(failure.StatusCode == StatusCode.NotFound, $"job {id} was deleted with an acknowledgement but is back ({failure.StatusCode})");
            }
            else if (!deleteAttempts.ContainsKey(id))
            {
                Assert.Equal(id, (await verify.PeekAsync(id)).Id);
            }

            // A delete sent but never answered may or may not have been applied: both are allowed.
        }

        // Ids continue above everything handed out before the crash.
        var fresh = (await verify.PutAsync(new PutRequest { Topic = Topic })).Id;
        Assert.True(fresh > puts.Keys.Max(), $"new id {fresh} is not above the acknowledged ids (max {puts.Keys.Max()})");
    }
}
