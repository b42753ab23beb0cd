using Chronoq.Cli.Internal;

namespace Chronoq.Operations.Tests.Cli;

public sealed class DurationsTests
{
    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("30s", 30_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("5m", 300_000)]
    [InlineData("2h", 7_200_000)]
    [InlineData("1d", 86_400_000)]
    [InlineData("00:01:30", 90_000)]
    [InlineData("0", 0)]
    public void TryParse_OperatorDurations_Parse(string text, long expectedMs)
    {
        Assert.True(Durations.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), duration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("5x")]
    [InlineData("-3s")]
    [InlineData("s")]
    [InlineData("-00:00:01")]
    public void TryParse_Nonsense_IsRejected(string text)
    {
        Assert.False(Durations.TryParse(text, out _));
    }
}
