using Chronoq.Protocol.Grpc;

namespace Chronoq.Service.Tests.Protocol;

public sealed class GrpcTimeoutTests
{
    [Theory]
    [InlineData("1H", 36_000_000_000L)]
    [InlineData("2M", 1_200_000_000L)]
    [InlineData("3S", 30_000_000L)]
    [InlineData("250m", 2_500_000L)]
    [InlineData("7u", 70L)]
    [InlineData("500n", 5L)]
    [InlineData("99999999S", 999_999_990_000_000L)]
    public void TryParse_ValidValue_Ticks(string value, long ticks)
    {
        Assert.True(GrpcTimeout.TryParse(value, out var timeout));
        Assert.Equal(ticks, timeout.Ticks);
    }

    [Theory]
    [InlineData("")]
    [InlineData("S")]
    [InlineData("10")]
    [InlineData("123456789S")]
    [InlineData("-1S")]
    [InlineData("1s")]
    [InlineData("1 S")]
    [InlineData("1.5S")]
    public void TryParse_Malformed_False(string value) => Assert.False(GrpcTimeout.TryParse(value, out _));

    [Theory]
    [InlineData(0L, "1n")]
    [InlineData(5L, "500n")]
    [InlineData(10_000_000L, "1000000u")]
    [InlineData(30_000_000L, "3000000u")]
    [InlineData(36_000_000_000L, "3600000m")]
    [InlineData(10_000_000_000_000L, "1000000S")]
    [InlineData(10_000_000_000_000_000L, "16666667M")]
    public void Format_Timeout_FinestUnitWithinEightDigits(long ticks, string expected) =>
        Assert.Equal(expected, GrpcTimeout.Format(TimeSpan.FromTicks(ticks)));

    [Fact]
    public void Format_ThenParse_NeverShorter()
    {
        foreach (var ticks in new[] { 1L, 9L, 12_345L, 123_456_789L, 98_765_432_109L, TimeSpan.FromDays(30).Ticks })
        {
            var formatted = GrpcTimeout.Format(TimeSpan.FromTicks(ticks));
            Assert.True(formatted.Length <= 9, formatted);
            Assert.True(GrpcTimeout.TryParse(formatted, out var parsed));
            Assert.True(parsed.Ticks >= ticks, $"{ticks} -> {formatted} -> {parsed.Ticks}");
        }
    }
}
