using Chronoq.Core.Internal;

namespace Chronoq.Core.Tests.Wheel;

public sealed class TimingWheelTests
{
    private const long Start = 1_000_000;

    private static List<int> AdvanceAndTake(TimingWheel wheel, long now)
    {
        wheel.Advance(now);
        var fired = new List<int>();
        while (wheel.TryTakeDue(out var id))
        {
            fired.Add(id);
        }

        return fired;
    }

    [Theory]
    [InlineData(1L)]
    [InlineData(255L)]
    [InlineData(511L)]
    [InlineData(512L)]
    [InlineData(60_000L)]
    [InlineData(86_400_000L)]
    [InlineData(400L * 86_400_000L)]
    public void Advance_AcrossLevelBoundaries_FiresExactlyAtExpiration(long delay)
    {
        var wheel = new TimingWheel(Start);
        wheel.Schedule(0, Start + delay);

        Assert.Empty(AdvanceAndTake(wheel, Start + delay - 1));
        Assert.Equal(new[] { 0 }, AdvanceAndTake(wheel, Start + delay));
        Assert.Equal(0, wheel.Count);
    }

    [Fact]
    public void Advance_BigJumpOverManyLevels_FiresEverythingDueInExpirationOrderOfBuckets()
    {
        var wheel = new TimingWheel(Start, jobCapacity: 8);
        long[] delays = { 400L * 86_400_000L, 1, 60_000, 86_400_000, 255 };
        for (var i = 0; i < delays.Length; i++)
        {
            wheel.Schedule(i, Start + delays[i]);
        }

        var fired = new List<int>();
        foreach (var step in new long[] { 1, 255, 60_000, 86_400_000, 400L * 86_400_000L })
        {
            fired.AddRange(AdvanceAndTake(wheel, Start + step));
        }

        Assert.Equal(new[] { 1, 4, 2, 3, 0 }, fired);
    }

    [Fact]
    public void NextExpiration_IdleWheel_IsNull()
    {
        var wheel = new TimingWheel(Start);
        Assert.Null(wheel.NextExpiration());
        wheel.Schedule(3, Start + 100);
        Assert.Equal(Start + 100, wheel.NextExpiration());
        wheel.Cancel(3);
        AdvanceAndTake(wheel, Start + 100);
        Assert.Null(wheel.NextExpiration());
    }

    [Fact]
    public void Cancel_ScheduledTimer_NeverFires()
    {
        var wheel = new TimingWheel(Start);
        wheel.Schedule(1, Start + 10);
        wheel.Schedule(2, Start + 10);

        Assert.True(wheel.Cancel(1));
        Assert.False(wheel.Cancel(1));
        Assert.Equal(new[] { 2 }, AdvanceAndTake(wheel, Start + 10));
    }

    [Fact]
    public void Schedule_AgainWithNewTime_MovesTheTimer()
    {
        var wheel = new TimingWheel(Start);
        wheel.Schedule(1, Start + 86_400_000);
        wheel.Schedule(1, Start + 5);

        Assert.Equal(1, wheel.Count);
        Assert.Equal(new[] { 1 }, AdvanceAndTake(wheel, Start + 5));
        Assert.Empty(AdvanceAndTake(wheel, Start + 86_400_000));
    }

    [Fact]
    public void Schedule_InThePast_FiresOnNextAdvance()
    {
        var wheel = new TimingWheel(Start);
        AdvanceAndTake(wheel, Start + 1_000);
        wheel.Schedule(7, Start + 10);
        wheel.Schedule(8, Start + 1_000);

        Assert.Equal(Start + 1_000, wheel.NextExpiration());
        Assert.Equal(new[] { 7, 8 }, AdvanceAndTake(wheel, Start + 1_000));
    }

    [Fact]
    public void Advance_HundredThousandTimersInOneBucket_AllFireOnce()
    {
        const int n = 100_000;
        var wheel = new TimingWheel(Start, jobCapacity: n);
        for (var i = 0; i < n; i++)
        {
            wheel.Schedule(i, Start + 42);
        }

        for (var i = 0; i < n; i += 2)
        {
            wheel.Cancel(i);
        }

        var fired = AdvanceAndTake(wheel, Start + 42);
        Assert.Equal(n / 2, fired.Count);
        Assert.All(fired, id => Assert.Equal(1, id % 2));
        Assert.Equal(n / 2, fired.Distinct().Count());
        Assert.Equal(0, wheel.Count);
    }

    [Fact]
    public void Advance_RandomTimers_FireAtTheirTimeAndNeverEarly()
    {
        const int n = 20_000;
        var random = new Random(12345);
        var wheel = new TimingWheel(Start, jobCapacity: n);
        var due = new long[n];
        for (var i = 0; i < n; i++)
        {
            due[i] = Start + random.NextInt64(0, 3 * 86_400_000L);
            wheel.Schedule(i, due[i]);
        }

        var now = Start;
        var firedAt = new long[n];
        while (wheel.Count > 0)
        {
            now += random.NextInt64(1, 20 * 60_000);
            foreach (var id in AdvanceAndTake(wheel, now))
            {
                firedAt[id] = now;
            }
        }

        for (var i = 0; i < n; i++)
        {
            Assert.True(firedAt[i] >= due[i], $"timer {i} fired early");
        }
    }

    [Fact]
    public void AuxNodes_ScheduleAndFree_AreReused()
    {
        var wheel = new TimingWheel(Start);
        var a = wheel.AllocateAux();
        Assert.True(a < 0);
        wheel.Schedule(a, Start + 3);
        wheel.FreeAux(a);
        Assert.Equal(0, wheel.Count);
        var b = wheel.AllocateAux();
        Assert.Equal(a, b);
        wheel.Schedule(b, Start + 3);
        Assert.Equal(new[] { b }, AdvanceAndTake(wheel, Start + 3));
    }
}
