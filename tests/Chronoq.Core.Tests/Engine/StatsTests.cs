using Chronoq.Core.Tests.Support;

namespace Chronoq.Core.Tests.Engine;

public sealed class StatsTests
{
    [Fact]
    public async Task TopicStats_UnknownTopic_ReportsZeros()
    {
        await using var h = await EngineHarness.StartAsync();
        var stats = await h.Stats("never-used");
        Assert.Equal(new TopicStats { Name = "never-used" }, stats);
    }

    [Fact]
    public async Task Stats_EveryCounter_TracksTransitions()
    {
        await using var h = await EngineHarness.StartAsync();
        var a = await h.Put("t", ttr: TimeSpan.FromSeconds(1));
        await h.Put("t", delay: TimeSpan.FromHours(1));
        var c = await h.Put("t");
        var d = await h.Put("u");
        var ra = await h.Reserve("t");
        var rc = await h.Reserve("t");
        Assert.True((await EngineHarness.Wait(h.Engine.BuryAsync(c, rc.Reservation))).IsOk);
        Assert.True((await EngineHarness.Wait(h.Engine.DeleteAsync(d))).IsOk);
        Assert.Equal(a, ra.Job.Id);

        var t = await h.Stats("t");
        Assert.Equal((0UL, 1UL, 1UL, 1UL, 3UL, 0UL), (t.Ready, t.Delayed, t.Reserved, t.Buried, t.TotalPuts, t.TotalDeletes));
        await h.Advance(TimeSpan.FromSeconds(1));
        t = await h.Stats("t");
        Assert.Equal((1UL, 0UL, 1UL), (t.Ready, t.Reserved, t.TotalTimeouts));

        var server = (await EngineHarness.Wait(h.Engine.GetServerStatsAsync())).Value;
        Assert.Equal("memory", server.Storage);
        Assert.False(string.IsNullOrEmpty(server.Version));
        Assert.Equal(TimeSpan.FromSeconds(1), server.Uptime);
        Assert.Equal((1UL, 1UL, 0UL, 1UL, 2UL, 4UL, 1UL, 1UL), (server.Ready, server.Delayed, server.Reserved, server.Buried, server.Topics, server.TotalPuts, server.TotalDeletes, server.TotalTimeouts));

        var list = (await EngineHarness.Wait(h.Engine.ListTopicsAsync())).Value;
        Assert.Equal(new[] { "t", "u" }, list.Select(x => x.Name).ToArray());
    }

    [Fact]
    public async Task HundredThousandJobs_HeapAndWheel_KeepOrder()
    {
        const int n = 100_000;
        await using var h = await EngineHarness.StartAsync(options: EngineOptions.Default with { MaxBatchItems = n });
        var random = new Random(7);
        var specs = new JobSpec[n];
        for (var i = 0; i < n; i++)
        {
            specs[i] = new JobSpec { Topic = "t", Priority = (uint)random.Next(0, 1000), Delay = i % 2 == 0 ? TimeSpan.FromMilliseconds(random.Next(1, 86_400_000)) : null };
        }

        var ids = (await EngineHarness.Wait(h.Engine.PutBatchAsync(specs))).Value;
        var stats = await h.Stats("t");
        Assert.Equal(((ulong)n / 2, (ulong)n / 2), (stats.Ready, stats.Delayed));

        await h.Advance(TimeSpan.FromDays(1));
        Assert.Equal((ulong)n, (await h.Stats("t")).Ready);

        var expected = Enumerable.Range(0, n).OrderBy(i => specs[i].Priority).ThenBy(i => ids[i].Id).Select(i => ids[i].Id).Take(2000).ToArray();
        var actual = new List<ulong>();
        for (var i = 0; i < expected.Length; i++)
        {
            actual.Add((await h.Reserve("t")).Job.Id);
        }

        Assert.Equal(expected, actual);
    }
}
