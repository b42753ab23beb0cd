using System.Collections.Concurrent;
using System.Diagnostics;
using Chronoq.Protocol.Grpc;
using Chronoq.Protocol.V1;
using Chronoq.Service.Storage;
using Chronoq.Testing;
using Chronoq.Testing.Postgres;
using Google.Protobuf;

namespace Chronoq.Service.Tests.Api;

/// <summary>
/// Durability against a server killed with SIGKILL under load: what it acknowledged is what it
/// keeps, and nothing else comes back but puts whose calls got no answer (their outcome is unknown).
/// </summary>
[Collection(PostgresApiCollection.Name)]
public sealed class ServerKillDurabilityTests(PostgresCluster cluster)
{
    private const string Topic = "kill";

    /// <summary>Acknowledged puts wanted before the kill, so the check covers enough of them; a quiet machine makes them in well under a second.</summary>
    private const int MinimumPuts = 200;

    /// <summary>Acknowledged deletes wanted before the kill (one put in two is deleted).</summary>
    private const int MinimumDeletes = 50;

    /// <summary>The load runs at least this long, so the kill lands in steady state (group commits of several calls), not in warm-up.</summary>
    private static readonly TimeSpan MinimumLoad = TimeSpan.FromSeconds(2);

    /// <summary>
    /// A busy two-core CI machine runs the load many times slower than a quiet one, so the load
    /// runs until the minimums are reached; only a server that does not reach them in this long fails.
    /// </summary>
    private static readonly TimeSpan MaximumLoad = TimeSpan.FromSeconds(60);

    /// <param name="commitsInFlight">Chronoq:Storage:CommitsInFlight: with 4 the kill lands among overlapping commits.</param>
    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task Kill9_UnderPutAndDeleteLoad_EveryAcknowledgedPutPresentEveryAcknowledgedDeleteAbsent(int commitsInFlight)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(240));
        var database = await cluster.CreateDatabaseAsync("kill", timeout.Token);
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Chronoq"] = database,
            ["Chronoq__Storage__CommitsInFlight"] = commitsInFlight.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };

        // Every body is unique, so a job found after the restart tells which put made it.
        var puts = new ConcurrentDictionary<ulong, string>();
        var unansweredPuts = new ConcurrentDictionary<string, bool>();
        var deletes = new ConcurrentDictionary<ulong, bool>();
        var deleteAttempts = new ConcurrentDictionary<ulong, bool>();
        var toDelete = new ConcurrentQueue<ulong>();
        var answeredNotFound = new ConcurrentQueue<ulong>();
        var answeredTwice = new ConcurrentQueue<ulong>();
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
                        var body = $"{worker}-{n++}";
                        try
                        {
                            var id = (await client.PutAsync(new PutRequest { Topic = Topic, Body = ByteString.CopyFromUtf8(body) })).Id;
                            if (!puts.TryAdd(id, body))
                            {
                                answeredTwice.Enqueue(id);
                            }

                            if (n % 2 == 0)
                            {
                                toDelete.Enqueue(id);
                            }
                        }
                        catch (RpcException)
                        {
                            // No answer (the server died mid-call, or the deadline passed): it may
                            // or may not have committed, so the job may or may not come back.
                            unansweredPuts[body] = true;
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
                        catch (RpcException failure) when (failure.StatusCode == StatusCode.NotFound)
                        {
                            // An answer, not a lost call: the acknowledged put it deletes is gone.
                            answeredNotFound.Enqueue(id);
                        }
                        catch (RpcException)
                        {
                            // No answer: applied or not, both are allowed.
                        }
                    }
                }));
            }

            var started = Stopwatch.GetTimestamp();
            while (Stopwatch.GetElapsedTime(started) < MinimumLoad || puts.Count < MinimumPuts || deletes.Count < MinimumDeletes)
            {
                if (Stopwatch.GetElapsedTime(started) > MaximumLoad || workers.Any(static worker => worker.IsCompleted))
                {
                    await load.CancelAsync();
                    await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(30), timeout.Token);
                    Assert.Fail($"the load did not run: {puts.Count} puts and {deletes.Count} deletes acknowledged in {MaximumLoad.TotalSeconds} s; server output:\n{process.Output}");
                }

                await Task.Delay(50, timeout.Token);
            }

            // No call starts once the kill is decided: from the kill on, the server's port is free,
            // and a call started then could reach whatever binds it next. Cancel (no callbacks) and
            // the signal are sent back to back, without an await between them that could let the
            // calls in flight finish first: catching calls in flight is the point of the test.
            load.Cancel();
            await process.KillAsync();
            await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(30), timeout.Token);
        }

        await using var restarted = await LoopbackServer.StartAsync(options => options.Configuration[ChronoqStorageOptions.ConnectionStringSetting] = database, timeout.Token);
        using var verify = new ApiClient(restarted.GrpcAddress);

        // Ids continue above everything handed out before the crash, so every job the restarted
        // server holds, but the one put now, has an id below this one.
        var fresh = (await verify.PutAsync(new PutRequest { Topic = Topic })).Id;
        Assert.True(fresh > puts.Keys.Max(), $"new id {fresh} is not above the acknowledged ids (max {puts.Keys.Max()})");

        var problems = answeredNotFound.Select(id => $"job {id} was put with an acknowledgement, but its delete before the kill answered NOT_FOUND")
            .Concat(answeredTwice.Select(id => $"id {id} was handed out to two acknowledged puts"))
            .ToList();
        var unansweredFound = new HashSet<string>(StringComparer.Ordinal);
        ulong present = 0;
        for (ulong id = 1; id < fresh; id++)
        {
            var job = await PeekOrNullAsync(verify, id);
            var acknowledged = puts.TryGetValue(id, out var sent);
            if (job is null)
            {
                // A delete sent but never answered may or may not have been applied: both are allowed.
                if (acknowledged && !deleteAttempts.ContainsKey(id))
                {
                    problems.Add($"job {id} ('{sent}') was put with an acknowledgement and never deleted, but is gone");
                }

                continue;
            }

            present++;
            var body = job.Body.ToStringUtf8();
            if (acknowledged && deletes.ContainsKey(id))
            {
                problems.Add($"job {id} ('{body}') was deleted with an acknowledgement but is back");
            }
            else if (acknowledged && body != sent)
            {
                problems.Add($"job {id} holds '{body}', but its acknowledged put sent '{sent}'");
            }
            else if (!acknowledged && (!unansweredPuts.ContainsKey(body) || !unansweredFound.Add(body)))
            {
                problems.Add($"job {id} ('{body}') was never acknowledged and is not the one job of an unanswered put: a phantom");
            }
        }

        Assert.True(
            problems.Count == 0,
            $"{problems.Count} wrong after the restart ({puts.Count} puts and {deletes.Count} deletes acknowledged, {unansweredPuts.Count} puts " +
            $"and {deleteAttempts.Count - deletes.Count} deletes unanswered):\n{string.Join('\n', problems.Take(20))}");

        // The scan saw every id below the fresh one; the topic holds exactly those jobs and the fresh one.
        var stats = await verify.GetTopicStatsAsync(Topic);
        Assert.Equal(present + 1, stats.Ready + stats.Delayed + stats.Reserved + stats.Buried);
    }

    private static async Task<Job?> PeekOrNullAsync(ApiClient client, ulong id)
    {
        try
        {
            return await client.PeekAsync(id);
        }
        catch (RpcException failure) when (failure.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
    }
}
