using Chronoq.Core.Internal;
using Chronoq.Core.Tests.Support;

namespace Chronoq.Core.Tests.Engine;

/// <summary>
/// A job keeps its topic's index in 16 bits of its slot, so at most 65,536 topics (or the lower
/// <see cref="EngineOptions.MaxTopics"/>) can hold jobs; a put past them is RESOURCE_EXHAUSTED naming the topic.
/// </summary>
public sealed class TopicCapTests
{
    [Fact]
    public async Task Put_IntoTheLastTopicUnderTheCap_HeldWithItsTopic_OneMoreTopicExhausted()
    {
        await using var h = await EngineHarness.StartAsync();
        const int batch = 8192;
        var specs = new JobSpec[batch];
        for (var first = 0; first < JobSlot.MaxTopics; first += batch)
        {
            for (var i = 0; i < batch; i++)
            {
                specs[i] = new JobSpec { Topic = $"t{first + i}", Delay = TimeSpan.FromHours(1) };
            }

            var result = await EngineHarness.Wait(h.Engine.PutBatchAsync(specs));
            Assert.True(result.Status.IsOk, result.Status.Message);
        }

        var last = $"t{JobSlot.MaxTopics - 1}";
        var lastId = await h.Put(last, delay: TimeSpan.FromMinutes(5));
        var peeked = await h.Peek(lastId);
        Assert.Equal(last, peeked.Topic);
        Assert.Equal(JobState.Delayed, peeked.State);
        Assert.Equal(h.Now, peeked.CreatedAt);

        var refused = await EngineHarness.Wait(h.Engine.PutAsync(new JobSpec { Topic = "one-more" }));
        Assert.Equal(ErrorCode.ResourceExhausted, refused.Status.Code);
        Assert.Contains("topic one-more", refused.Status.Message, StringComparison.Ordinal);
        Assert.Contains("65536", refused.Status.Message, StringComparison.Ordinal);
        Assert.Equal((ulong)JobSlot.MaxTopics + 1, (await EngineHarness.Wait(h.Engine.GetServerStatsAsync())).Value.Delayed);
    }

    [Fact]
    public async Task Put_PastAConfiguredCap_ExhaustedNothingChanged_TopicsUnderItStillTakeJobs()
    {
        await using var h = await EngineHarness.StartAsync(options: EngineOptions.Default with { MaxTopics = 2 });
        await EngineHarness.Wait(h.Engine.PauseTopicAsync("paused", TimeSpan.FromSeconds(1)));
        await h.Put("a");

        var single = await EngineHarness.Wait(h.Engine.PutAsync(new JobSpec { Topic = "b" }));
        var batch = await EngineHarness.Wait(h.Engine.PutBatchAsync(new[] { new JobSpec { Topic = "a" }, new JobSpec { Topic = "b" } }));

        Assert.Equal(ErrorCode.ResourceExhausted, single.Status.Code);
        Assert.Contains("topic b", single.Status.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorCode.ResourceExhausted, batch.Status.Code);
        Assert.Equal(1UL, (await h.Stats("a")).TotalPuts);
        Assert.Equal(1UL, (await h.Stats("a")).Ready);
        await h.Put("a");
        await h.Put("paused");
        Assert.Equal(1UL, (await h.Stats("paused")).Ready);
    }

    [Fact]
    public async Task Put_IntoATopicAReserveMadePastTheCap_Exhausted()
    {
        await using var h = await EngineHarness.StartAsync(options: EngineOptions.Default with { MaxTopics = 1 });
        await h.Put("a");
        Assert.Null(await h.Poll("watched"));

        var refused = await EngineHarness.Wait(h.Engine.PutAsync(new JobSpec { Topic = "watched" }));

        Assert.Equal(ErrorCode.ResourceExhausted, refused.Status.Code);
        Assert.Contains("topic watched", refused.Status.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MaxTopics_OutsideOneTo65536_ValidationNamesTheSetting()
    {
        foreach (var bad in new[] { 0, JobSlot.MaxTopics + 1 })
        {
            var failure = Assert.Throws<ArgumentException>(() => (EngineOptions.Default with { MaxTopics = bad }).Validate());
            Assert.Equal(nameof(EngineOptions.MaxTopics), failure.ParamName);
        }

        (EngineOptions.Default with { MaxTopics = JobSlot.MaxTopics }).Validate();
    }
}
