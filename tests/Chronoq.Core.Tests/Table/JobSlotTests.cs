using System.Runtime.CompilerServices;
using Chronoq.Core.Internal;

namespace Chronoq.Core.Tests.Table;

/// <summary>The job slot's packed word: created-at, topic, state and pending-free share 64 bits.</summary>
public sealed class JobSlotTests
{
    public static TheoryData<long> CreatedAtTimes => new()
    {
        0,
        1,
        DateTimeOffset.Parse("2026-11-23T16:30:00.123Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds(),
        DateTimeOffset.Parse("2527-06-23T00:00:00.999Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds(),
        JobSlot.MaxCreatedAtMs - 1,
        JobSlot.MaxCreatedAtMs,
    };

    [Fact]
    public void Size_Is32Bytes()
    {
        Assert.Equal(32, Unsafe.SizeOf<JobSlot>());
    }

    [Fact]
    public void MaxCreatedAt_ReachesYear2527()
    {
        Assert.Equal(2527, DateTimeOffset.FromUnixTimeMilliseconds(JobSlot.MaxCreatedAtMs).Year);
    }

    [Theory]
    [MemberData(nameof(CreatedAtTimes))]
    public void EveryField_RoundTripsBesideTheOthersAtTheirExtremes(long createdAtMs)
    {
        foreach (var topic in new[] { 0, 1, JobSlot.MaxTopics - 1 })
        {
            foreach (var state in Enum.GetValues<JobState>())
            {
                foreach (var pendingFree in new[] { false, true })
                {
                    var slot = new JobSlot { Id = ulong.MaxValue, Priority = uint.MaxValue, TtrMs = int.MaxValue, HeapIndex = -1, Extra = -1 };
                    slot.CreatedAtMs = createdAtMs;
                    slot.Topic = topic;
                    slot.State = state;
                    slot.PendingFree = pendingFree;

                    Assert.Equal(createdAtMs, slot.CreatedAtMs);
                    Assert.Equal(topic, slot.Topic);
                    Assert.Equal(state, slot.State);
                    Assert.Equal(pendingFree, slot.PendingFree);
                    Assert.Equal((ulong.MaxValue, uint.MaxValue, int.MaxValue, -1, -1), (slot.Id, slot.Priority, slot.TtrMs, slot.HeapIndex, slot.Extra));
                }
            }
        }
    }

    [Fact]
    public void Setters_ChangeOnlyTheirOwnField()
    {
        var slot = new JobSlot();
        slot.CreatedAtMs = JobSlot.MaxCreatedAtMs;
        slot.Topic = JobSlot.MaxTopics - 1;
        slot.State = JobState.Buried;
        slot.PendingFree = true;

        slot.Topic = 0;
        Assert.Equal((JobSlot.MaxCreatedAtMs, 0, JobState.Buried, true), (slot.CreatedAtMs, slot.Topic, slot.State, slot.PendingFree));
        slot.State = JobState.None;
        Assert.Equal((JobSlot.MaxCreatedAtMs, 0, JobState.None, true), (slot.CreatedAtMs, slot.Topic, slot.State, slot.PendingFree));
        slot.CreatedAtMs = 0;
        slot.Topic = JobSlot.MaxTopics - 1;
        Assert.Equal((0L, JobSlot.MaxTopics - 1, JobState.None, true), (slot.CreatedAtMs, slot.Topic, slot.State, slot.PendingFree));
        slot.PendingFree = false;
        Assert.Equal((0L, JobSlot.MaxTopics - 1, JobState.None, false), (slot.CreatedAtMs, slot.Topic, slot.State, slot.PendingFree));
    }

    [Fact]
    public void CreatedAt_OutsideTheRange_Clamped()
    {
        var slot = new JobSlot { Topic = 5 };

        slot.CreatedAtMs = -1;
        Assert.Equal(0, slot.CreatedAtMs);
        slot.CreatedAtMs = JobSlot.MaxCreatedAtMs + 1;
        Assert.Equal(JobSlot.MaxCreatedAtMs, slot.CreatedAtMs);
        Assert.Equal(5, slot.Topic);
    }

    [Fact]
    public void Topic_PastTheCap_Throws()
    {
        var slot = new JobSlot();

        Assert.Throws<ArgumentOutOfRangeException>(() => slot.Topic = JobSlot.MaxTopics);
        Assert.Throws<ArgumentOutOfRangeException>(() => slot.Topic = -1);
    }
}
