using Chronoq.Core.Storage;
using Chronoq.Testing;

namespace Chronoq.Core.Tests.Support;

/// <summary>An engine on a manual clock with helpers that bound every wait.</summary>
internal sealed class EngineHarness : IAsyncDisposable
{
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private EngineHarness(ChronoqEngine engine, ManualTimeProvider clock)
    {
        Engine = engine;
        Clock = clock;
    }

    public ChronoqEngine Engine { get; }
    public ManualTimeProvider Clock { get; }

    public static async Task<EngineHarness> StartAsync(IJobStore? store = null, EngineOptions? options = null, ManualTimeProvider? clock = null)
    {
        clock ??= new ManualTimeProvider();
        var engine = await ChronoqEngine.StartAsync(options ?? EngineOptions.Default, store ?? new MemoryJobStore(), clock).WaitAsync(Bound);
        return new EngineHarness(engine, clock);
    }

    public DateTimeOffset Now => Clock.GetUtcNow();

    public static async Task<T> Wait<T>(ValueTask<T> task) => await task.AsTask().WaitAsync(Bound);

    public async Task<ulong> Put(string topic, uint priority = 0, TimeSpan? delay = null, TimeSpan? ttr = null, string? key = null, string body = "x")
    {
        var result = await Wait(Engine.PutAsync(new JobSpec
        {
            Topic = topic,
            Body = System.Text.Encoding.UTF8.GetBytes(body),
            Priority = priority,
            Delay = delay,
            Ttr = ttr,
            Key = key,
        }));
        Assert.True(result.IsOk, result.ToString());
        return result.Value.Id;
    }

    public async Task<ReservedJob?> Poll(params string[] topics)
    {
        var result = await Wait(Engine.ReserveOneAsync(topics, TimeSpan.Zero));
        Assert.True(result.IsOk, result.ToString());
        return result.Value;
    }

    public async Task<ReservedJob> Reserve(params string[] topics)
    {
        var job = await Poll(topics);
        Assert.NotNull(job);
        return job.Value;
    }

    public async Task<JobInfo> Peek(ulong id)
    {
        var result = await Wait(Engine.PeekAsync(id));
        Assert.True(result.IsOk, result.ToString());
        return result.Value;
    }

    public async Task<TopicStats> Stats(string topic)
    {
        var result = await Wait(Engine.GetTopicStatsAsync(topic));
        Assert.True(result.IsOk, result.ToString());
        return result.Value;
    }

    /// <summary>Moves the clock and waits until the engine has caught up with it.</summary>
    public async Task Advance(TimeSpan delta)
    {
        Clock.Advance(delta);
        await Wait(Engine.GetServerStatsAsync());
    }

    public async Task<ReservationStream> OpenStream(uint prefetch, params string[] topics)
    {
        var result = await Wait(Engine.OpenReservationStreamAsync(topics, prefetch));
        Assert.True(result.IsOk, result.ToString());
        return result.Value;
    }

    public static async Task<ReservationEvent> Next(ReservationStream stream)
    {
        return await stream.Events.ReadAsync().AsTask().WaitAsync(Bound);
    }

    public ValueTask DisposeAsync() => Engine.DisposeAsync();
}
