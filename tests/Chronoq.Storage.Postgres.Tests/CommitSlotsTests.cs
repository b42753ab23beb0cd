using Chronoq.Storage.Postgres.Internal;

namespace Chronoq.Storage.Postgres.Tests;

/// <summary>The commit slots' rule: a commit given up on holds back the commits that enter after, until it ends.</summary>
public sealed class CommitSlotsTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Abandoned_HoldsBackLaterCommitsUntilItEnds()
    {
        var slots = new CommitSlots(2);
        var first = (await slots.EnterAsync(Bound, CancellationToken.None))!;
        slots.Abandon(first, first.Uses);

        var next = slots.EnterAsync(Bound, CancellationToken.None).AsTask();
        await Task.Delay(100);
        Assert.False(next.IsCompleted, "a commit entered while an abandoned one was still running");
        slots.Exit(first);
        Assert.NotNull(await next.WaitAsync(Bound));
    }

    [Fact]
    public async Task AbandonArrivingAfterTheCommitEnded_DoesNotMarkTheCommitNowHoldingTheSameColumns()
    {
        var slots = new CommitSlots(2);
        var first = (await slots.EnterAsync(Bound, CancellationToken.None))!;
        var use = first.Uses;

        // The commit ends and its columns go to the next commit before the giving-up caller marks it.
        slots.Exit(first);
        var second = (await slots.EnterAsync(Bound, CancellationToken.None))!;
        Assert.Same(first, second);
        slots.Abandon(first, use);

        // Nothing winds down, so a third commit enters beside the second at once.
        Assert.NotNull(await slots.EnterAsync(TimeSpan.Zero, CancellationToken.None));
        slots.Exit(second);
    }
}
