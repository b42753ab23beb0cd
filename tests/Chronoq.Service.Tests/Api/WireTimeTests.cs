using Chronoq.Service.Api.Internal;
using Google.Protobuf.WellKnownTypes;

namespace Chronoq.Service.Tests.Api;

public sealed class WireTimeTests
{
    [Theory]
    [InlineData(0L, 0, 0L)]
    [InlineData(1L, 500_000_000, 15_000_000L)]
    [InlineData(0L, 1, 1L)] // a nanosecond rounds up to a tick, never down to nothing
    [InlineData(315_576_000_000L, 999_999_999, 3_155_760_000_010_000_000L)] // rounds up to the next tick
    public void TryReadSpan_Valid_ExactTicks(long seconds, int nanos, long ticks)
    {
        Assert.True(WireTime.TryReadSpan(new Duration { Seconds = seconds, Nanos = nanos }, "f", out var span, out var error));
        Assert.Null(error);
        Assert.Equal(TimeSpan.FromTicks(ticks), span);
    }

    [Theory]
    [InlineData(-1L, 0, "must not be negative")]
    [InlineData(0L, -1, "must not be negative")]
    [InlineData(1L, -1, "not a valid")]
    [InlineData(-1L, 1, "not a valid")]
    [InlineData(0L, 1_000_000_000, "not a valid")]
    [InlineData(315_576_000_001L, 0, "not a valid")]
    public void TryReadSpan_Invalid_ErrorNamesField(long seconds, int nanos, string reason)
    {
        Assert.False(WireTime.TryReadSpan(new Duration { Seconds = seconds, Nanos = nanos }, "jobs[3].ttr", out _, out var error));
        Assert.StartsWith("jobs[3].ttr ", error, StringComparison.Ordinal);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryReadSpan_Unset_NullWithoutError()
    {
        Assert.True(WireTime.TryReadSpan(null, "ttr", out var span, out var error));
        Assert.Null(span);
        Assert.Null(error);
    }

    [Theory]
    [InlineData(-62_135_596_801L, 0)]
    [InlineData(253_402_300_800L, 0)]
    [InlineData(0L, -1)]
    [InlineData(0L, 1_000_000_000)]
    public void TryReadTime_OutOfRange_ErrorNamesField(long seconds, int nanos)
    {
        Assert.False(WireTime.TryReadTime(new Timestamp { Seconds = seconds, Nanos = nanos }, "run_at", out _, out var error));
        Assert.StartsWith("run_at ", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-62_135_596_800L, 0)]
    [InlineData(253_402_300_799L, 999_999_900)]
    [InlineData(-1L, 500_000_000)]
    [InlineData(1_700_000_000L, 123_456_700)]
    public void TimestampRoundTrip_InRange_Exact(long seconds, int nanos)
    {
        var timestamp = new Timestamp { Seconds = seconds, Nanos = nanos };

        Assert.True(WireTime.TryReadTime(timestamp, "run_at", out var time, out _));

        Assert.Equal(timestamp, WireTime.ToTimestamp(time!.Value));
        Assert.Equal(timestamp.ToDateTimeOffset(), time.Value);
    }

    [Fact]
    public void ToDuration_SubSecond_SecondsAndNanos()
    {
        Assert.Equal(new Duration { Seconds = 2, Nanos = 500_000_000 }, WireTime.ToDuration(TimeSpan.FromMilliseconds(2500)));
        Assert.Equal(new Duration(), WireTime.ToDuration(TimeSpan.Zero));
    }
}
