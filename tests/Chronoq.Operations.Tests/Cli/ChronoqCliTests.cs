using System.Globalization;
using System.Text.RegularExpressions;
using Chronoq.Cli;
using Chronoq.Testing;

namespace Chronoq.Operations.Tests.Cli;

/// <summary>Every <c>chronoq</c> command against a live server on loopback. (Its buries move the process-wide bury counter.)</summary>
[Collection(Telemetry.ProcessWideTelemetryCollection.Name)]
public sealed partial class ChronoqCliTests : IAsyncLifetime
{
    private LoopbackServer _server = null!;

    private Uri Address => _server.GrpcAddress;

    public async Task InitializeAsync() => _server = await LoopbackServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Put_WithOptions_ThenPeek_ShowsTheJobAsPut()
    {
        var put = await Ok("put", "cli-put", "hello world", "--priority", "7", "--key", "order-1", "-H", "source=cli", "--ttr", "90s");
        var id = IdOf(put);

        var peek = await Ok("peek", id.ToString(CultureInfo.InvariantCulture));

        Assert.Matches(@"topic\s+cli-put", peek.Output);
        Assert.Matches(@"state\s+ready", peek.Output);
        Assert.Matches(@"priority\s+7", peek.Output);
        Assert.Matches(@"key\s+order-1", peek.Output);
        Assert.Matches(@"ttr\s+00:01:30", peek.Output);
        Assert.Matches(@"header source\s+cli", peek.Output);
        Assert.Matches(@"body\s+hello world", peek.Output);
    }

    [Fact]
    public async Task Put_ExistingKey_ReportsTheExistingJobUnchanged()
    {
        var first = IdOf(await Ok("put", "cli-key", "a", "--key", "k"));

        var second = await Ok("put", "cli-key", "b", "--key", "k");

        Assert.Equal(first, IdOf(second));
        Assert.Contains("nothing changed", second.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Put_Delayed_IsDelayedAndPeekNextFindsIt()
    {
        var id = IdOf(await Ok("put", "cli-delay", "later", "--delay", "1h"));

        var next = await Ok("peek", "--topic", "cli-delay", "--state", "delayed");

        Assert.Matches($@"id\s+{id}\b", next.Output);
        Assert.Matches(@"state\s+delayed", next.Output);
        Assert.Equal(ExitCodes.Empty, (await Run("peek", "--topic", "cli-delay", "--state", "ready")).ExitCode);
    }

    [Fact]
    public async Task Reserve_ThenDeleteWithTheReservation_RemovesTheJob()
    {
        var id = IdOf(await Ok("put", "cli-reserve", "work"));

        var reserved = await Ok("reserve", "cli-reserve");
        Assert.Matches($@"id\s+{id}\b", reserved.Output);
        Assert.Matches(@"state\s+reserved", reserved.Output);
        var reservation = ReservationOf(reserved);

        // A reserved job cannot be deleted without its token.
        var refused = await Run("delete", id.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(ExitCodes.Failed, refused.ExitCode);
        Assert.Contains("FailedPrecondition", refused.Error, StringComparison.Ordinal);

        await Ok("delete", id.ToString(CultureInfo.InvariantCulture), "--reservation", reservation);
        var gone = await Run("peek", id.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(ExitCodes.Empty, gone.ExitCode);
        Assert.Contains("no such job", gone.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reserve_WithDelete_TakesTheJobOffTheQueue()
    {
        var id = IdOf(await Ok("put", "cli-take", "x"));

        var taken = await Ok("reserve", "cli-take", "--delete");

        Assert.Contains($"job {id} deleted", taken.Output, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Empty, (await Run("peek", id.ToString(CultureInfo.InvariantCulture))).ExitCode);
    }

    [Fact]
    public async Task Reserve_NothingReady_ExitsEmpty()
    {
        var run = await Run("reserve", "cli-empty", "--timeout", "100ms");

        Assert.Equal(ExitCodes.Empty, run.ExitCode);
        Assert.Contains("no job ready", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Release_WithDelay_MakesTheJobDelayedWithItsNewPriority()
    {
        var id = IdOf(await Ok("put", "cli-release", "x", "--priority", "3"));
        var reservation = ReservationOf(await Ok("reserve", "cli-release"));

        await Ok("release", id.ToString(CultureInfo.InvariantCulture), "-r", reservation, "--delay", "1h", "--priority", "9");

        var peek = await Ok("peek", id.ToString(CultureInfo.InvariantCulture));
        Assert.Matches(@"state\s+delayed", peek.Output);
        Assert.Matches(@"priority\s+9", peek.Output);
        Assert.Matches(@"releases\s+1", peek.Output);
    }

    [Fact]
    public async Task Bury_ThenKickTopicAndKickJob_BringJobsBackToReady()
    {
        var first = IdOf(await Ok("put", "cli-bury", "1"));
        var second = IdOf(await Ok("put", "cli-bury", "2"));
        foreach (var _ in new[] { first, second })
        {
            var reserved = await Ok("reserve", "cli-bury");
            await Ok("bury", IdIn(reserved).ToString(CultureInfo.InvariantCulture), "-r", ReservationOf(reserved));
        }

        Assert.Matches(@"state\s+buried", (await Ok("peek", first.ToString(CultureInfo.InvariantCulture))).Output);
        var kicked = await Ok("kick", "cli-bury", "--bound", "1");
        Assert.Contains("1 job(s) kicked", kicked.Output, StringComparison.Ordinal);
        await Ok("kick", "--job", second.ToString(CultureInfo.InvariantCulture));

        Assert.Matches(@"state\s+ready", (await Ok("peek", first.ToString(CultureInfo.InvariantCulture))).Output);
        Assert.Matches(@"state\s+ready", (await Ok("peek", second.ToString(CultureInfo.InvariantCulture))).Output);
        Assert.Equal(ExitCodes.Empty, (await Run("kick", "cli-bury")).ExitCode);
    }

    [Fact]
    public async Task Kick_NeitherTopicNorJob_IsAUsageError()
    {
        var run = await Run("kick");

        Assert.NotEqual(ExitCodes.Ok, run.ExitCode);
        Assert.Contains("either a topic or --job", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stats_ServerAndTopic_ShowTheCounters()
    {
        await Ok("put", "cli-stats", "a");
        await Ok("put", "cli-stats", "b", "--delay", "1h");

        var server = await Ok("stats");
        var topic = await Ok("stats", "cli-stats");

        Assert.Matches(@"storage\s+memory", server.Output);
        Assert.Matches(@"total puts\s+[1-9]", server.Output);
        Assert.Matches(@"topic\s+cli-stats", topic.Output);
        Assert.Matches(@"ready\s+1\b", topic.Output);
        Assert.Matches(@"delayed\s+1\b", topic.Output);
        Assert.Matches(@"total puts\s+2\b", topic.Output);
    }

    [Fact]
    public async Task Topics_ListsEveryTopicWithItsCounts()
    {
        await Ok("put", "cli-topics-a", "x");
        await Ok("put", "cli-topics-b", "y", "--delay", "1h");

        var topics = await Ok("topics");

        Assert.Matches(@"cli-topics-a\s+1\s+0\s+0\s+0", topics.Output);
        Assert.Matches(@"cli-topics-b\s+0\s+1\s+0\s+0", topics.Output);
    }

    [Fact]
    public async Task Pause_StopsReservationsUntilResumed()
    {
        var id = IdOf(await Ok("put", "cli-pause", "x"));

        Assert.Contains("paused for", (await Ok("pause", "cli-pause", "1h")).Output, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Empty, (await Run("reserve", "cli-pause")).ExitCode);
        Assert.Matches(@"cli-pause\s+1\s+0\s+0\s+0\s+0\s+1\s+0\s+0\s+\d\d:", (await Ok("topics")).Output);

        Assert.Contains("resumed", (await Ok("pause", "cli-pause", "0")).Output, StringComparison.Ordinal);
        Assert.Matches($@"id\s+{id}\b", (await Ok("reserve", "cli-pause")).Output);
    }

    [Fact]
    public async Task Top_WithCount_RendersTheLiveViewAndStops()
    {
        await Ok("put", "cli-top", "x");

        var top = await Ok("top", "--count", "2", "--interval", "50ms");

        Assert.Contains("chronoq", top.Output, StringComparison.Ordinal);
        Assert.Contains("memory", top.Output, StringComparison.Ordinal);
        Assert.Contains("cli-top", top.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_UnknownJob_FailsWithTheServersStatus()
    {
        var run = await Run("delete", "999999");

        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        Assert.Contains("NotFound", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Put_InvalidTopic_FailsWithTheFieldNamed()
    {
        var run = await Run("put", "bad topic!", "x");

        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        Assert.Contains("InvalidArgument", run.Error, StringComparison.Ordinal);
        Assert.Contains("topic", run.Error, StringComparison.Ordinal);
    }

    private Task<CliRun> Run(params string[] args) => CliRun.RunAsync(Address, args);

    private async Task<CliRun> Ok(params string[] args)
    {
        var run = await Run(args);
        Assert.True(run.ExitCode == ExitCodes.Ok, $"chronoq {string.Join(' ', args)}: {run}");
        return run;
    }

    private static ulong IdOf(CliRun put) => ulong.Parse(PutLine().Match(put.Output).Groups[1].Value, CultureInfo.InvariantCulture);

    private static ulong IdIn(CliRun shown) => ulong.Parse(IdLine().Match(shown.Output).Groups[1].Value, CultureInfo.InvariantCulture);

    private static string ReservationOf(CliRun reserved)
    {
        var match = ReservationLine().Match(reserved.Output);
        Assert.True(match.Success, $"no reservation in: {reserved}");
        return match.Groups[1].Value;
    }

    [GeneratedRegex(@"job (\d+) (created|exists)")]
    private static partial Regex PutLine();

    [GeneratedRegex(@"\bid\s+(\d+)")]
    private static partial Regex IdLine();

    [GeneratedRegex(@"reservation\s+(\d+)")]
    private static partial Regex ReservationLine();
}
