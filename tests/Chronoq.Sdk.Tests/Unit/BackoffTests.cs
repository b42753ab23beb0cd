using Chronoq.Sdk.Internal;

namespace Chronoq.Sdk.Tests.Unit;

public sealed class BackoffTests
{
    [Theory]
    [InlineData(0, 100)]
    [InlineData(1, 200)]
    [InlineData(3, 800)]
    [InlineData(5, 2000)]
    [InlineData(1000, 2000)]
    public void Ceiling_Attempt_DoublesUpToTheMax(int attempt, int expectedMilliseconds)
    {
        var ceiling = Backoff.Ceiling(attempt, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2));

        Assert.Equal(TimeSpan.FromMilliseconds(expectedMilliseconds), ceiling);
    }

    [Fact]
    public void Next_ManyDraws_StayWithinFloorAndCeilingAndSpread()
    {
        var draws = Enumerable.Range(0, 1000).Select(_ => Backoff.Next(3, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2), floor: 0.5)).ToArray();

        Assert.All(draws, draw => Assert.InRange(draw, TimeSpan.FromMilliseconds(400), TimeSpan.FromMilliseconds(800)));
        Assert.True(draws.Distinct().Count() > 100, "jitter should spread the waits");
    }
}
