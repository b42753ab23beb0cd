using Chronoq.Core.Tests.Support;

namespace Chronoq.Core.Tests.Engine;

public sealed class ValidationTests
{
    [Fact]
    public async Task Put_TopicOf200Chars_OkAnd201_InvalidNamingTopic()
    {
        await using var h = await EngineHarness.StartAsync();
        await h.Put(new string('a', 200));
        var result = await EngineHarness.Wait(h.Engine.PutAsync(new JobSpec { Topic = new string('a', 201) }));
        Assert.Equal(ErrorCode.InvalidArgument, result.Status.Code);
        Assert.StartsWith("topic", result.Status.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("ümlaut")]
    [InlineData("semi;colon")]
    public async Task Put_BadTopic_InvalidArgument(string topic)
    {
        await using var h = await EngineHarness.StartAsync();
        var result = await EngineHarness.Wait(h.Engine.PutAsync(new JobSpec { Topic = topic }));
        Assert.Equal(ErrorCode.InvalidArgument, result.Status.Code);
        Assert.StartsWith("topic", result.Status.Message);
    }

    [Fact]
    public async Task Put_KeyWithNulCharacter_InvalidNamingKey()
    {
        await using var h = await EngineHarness.StartAsync();
        var result = await EngineHarness.Wait(h.Engine.PutAsync(new JobSpec { Topic = "t", Key = "a\0b" }));
        Assert.Equal(ErrorCode.InvalidArgument, result.Status.Code);
        Assert.StartsWith("key", result.Status.Message);
    }

    [Theory]
    [InlineData("na\0me", "value")]
    [InlineData("name", "val\0ue")]
    public async Task PutBatch_HeaderWithNulCharacter_InvalidNamingHeaders(string name, string value)
    {
        await using var h = await EngineHarness.StartAsync();
        var jobs = new[]
        {
            new JobSpec { Topic = "t" },
            new JobSpec { Topic = "t", Headers = new Dictionary<string, string> { [name] = value } },
        };
        var result = await EngineHarness.Wait(h.Engine.PutBatchAsync(jobs));
        Assert.Equal(ErrorCode.InvalidArgument, result.Status.Code);
        Assert.StartsWith("jobs[1].headers", result.Status.Message);
    }

    [Fact]
    public async Task Put_AllowedPunctuation_Ok()
    {
        await using var h = await EngineHarness.StartAsync();
        await h.Put("a-b_c.d:e/F9");
    }

    [Fact]
    public async Task Put_NegativeDelay_InvalidNamingDelay()
    {
        await using var h = await EngineHarness.StartAsync();
        var result = await EngineHarness.Wait(h.Engine.PutAsync(new JobSpec { Topic = "t", Delay = TimeSpan.FromSeconds(-1) }));
        Assert.Equal(ErrorCode.InvalidArgument, result.Status.Code);
        Assert.StartsWith("delay", result.Status.Message);
    }

    [Fact]
    public async Task Put_NegativeTtr_InvalidNamingTtr()
    {
        await using var h = await EngineHarness.StartAsync();
        var result = await EngineHarness.Wait(h.Engine.PutAsync(new JobSpec { Topic = "t", Ttr = TimeSpan.FromSeconds(-1) }));
        Assert.Equal(ErrorCode.InvalidArgument, result.Status.Code);
        Assert.StartsWith("ttr", result.Status.Message);
    }

    [Fact]
    public async Task Put_DelayAndRunAt_InvalidArgument()
    {
        await using var h = await EngineHarness.StartAsync();
        var result = await EngineHarness.Wait(h.Engine.PutAsync(new JobSpec { Topic = "t", Delay = TimeSpan.FromSeconds(1), RunAt = h.Now }));
        Assert.Equal(ErrorCode.InvalidArgument, result.Status.Code);
    }

    [Fact]
    public async Task Put_KeyTooLong_InvalidNamingKey()
    {
        await using var h = await EngineHarness.StartAsync(options: EngineOptions.Default with { MaxKeyLength = 3 });
        var result = await EngineHarness.Wait(h.Engine.PutAsync(new JobSpec { Topic = "t", Key = "abcd" }));
        Assert.Equal(ErrorCode.InvalidArgument, result.Status.Code);
        Assert.StartsWith("key", result.Status.Message);
    }

    [Fact]
    public async Task PutBatch_BadTtrAtIndex_MessageNamesIndexedField()
    {
        await using var h = await EngineHarness.StartAsync();
        var result = await EngineHarness.Wait(h.Engine.PutBatchAsync(new[] { new JobSpec { Topic = "t" }, new JobSpec { Topic = "t", Ttr = TimeSpan.FromSeconds(-5) } }));
        Assert.Equal(ErrorCode.InvalidArgument, result.Status.Code);
        Assert.StartsWith("jobs[1].ttr", result.Status.Message);
    }

    [Fact]
    public async Task ReserveOne_BadTopicAtIndexOrNone_InvalidNamingTopics()
    {
        await using var h = await EngineHarness.StartAsync();
        var bad = await EngineHarness.Wait(h.Engine.ReserveOneAsync(new[] { "a", "b", "c d" }, TimeSpan.Zero));
        Assert.Equal(ErrorCode.InvalidArgument, bad.Status.Code);
        Assert.StartsWith("topics[2]", bad.Status.Message);
        var none = await EngineHarness.Wait(h.Engine.ReserveOneAsync(Array.Empty<string>(), TimeSpan.Zero));
        Assert.StartsWith("topics", none.Status.Message);
        var negative = await EngineHarness.Wait(h.Engine.ReserveOneAsync(new[] { "a" }, TimeSpan.FromSeconds(-1)));
        Assert.StartsWith("timeout", negative.Status.Message);
    }

    [Fact]
    public async Task OpenStream_PrefetchTooLarge_InvalidNamingPrefetch()
    {
        await using var h = await EngineHarness.StartAsync(options: EngineOptions.Default with { MaxPrefetch = 10 });
        var result = await EngineHarness.Wait(h.Engine.OpenReservationStreamAsync(new[] { "t" }, 11));
        Assert.Equal(ErrorCode.InvalidArgument, result.Status.Code);
        Assert.StartsWith("prefetch", result.Status.Message);
    }

    [Fact]
    public async Task PauseTopic_NegativeDuration_InvalidNamingDuration()
    {
        await using var h = await EngineHarness.StartAsync();
        var status = await EngineHarness.Wait(h.Engine.PauseTopicAsync("t", TimeSpan.FromSeconds(-1)));
        Assert.Equal(ErrorCode.InvalidArgument, status.Code);
        Assert.StartsWith("duration", status.Message);
    }

    [Fact]
    public void Options_Invalid_ThrowNamingSetting()
    {
        var error = Assert.Throws<ArgumentException>(() => (EngineOptions.Default with { MaxJobs = 0 }).Validate());
        Assert.Contains("MaxJobs", error.Message);
    }
}
