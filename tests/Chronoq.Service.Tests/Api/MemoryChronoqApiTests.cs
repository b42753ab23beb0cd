using Chronoq.Protocol.Grpc;
using Chronoq.Protocol.V1;
using Chronoq.Testing;
using Google.Protobuf;
using static Chronoq.Service.Tests.Api.ApiClient;

namespace Chronoq.Service.Tests.Api;

/// <summary>The API contract with the embedded memory store (no connection string configured).</summary>
public sealed class MemoryChronoqApiTests : ChronoqApiContractTests
{
    protected override string ExpectedStorage => "memory";

    protected override Task<IReadOnlyDictionary<string, string?>> StorageConfigurationAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, string?>>(new Dictionary<string, string?>());

    [Fact]
    public void Start_NoConnectionString_WarnsThatJobsAreNotDurable()
    {
        var warning = Assert.Single(Server.Logs, log => log.EventId.Name == "MemoryStorage");
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, warning.Level);
        Assert.Contains("NOT durable", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_EngineLimitsConfigured_Applied()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var server = await LoopbackServer.StartAsync(options => options.Configuration["Chronoq:Engine:MaxBodyBytes"] = "10", timeout.Token);
        using var client = new ApiClient(server.GrpcAddress);

        await client.PutAsync(new PutRequest { Topic = Topic, Body = ByteString.CopyFrom(new byte[10]) });
        var failure = await FailsAsync(StatusCode.ResourceExhausted, () => client.PutAsync(new PutRequest { Topic = Topic, Body = ByteString.CopyFrom(new byte[11]) }));

        Assert.Contains("body", failure.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Put_PastTheTopicCap_ResourceExhaustedNamingTopic()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var server = await LoopbackServer.StartAsync(options => options.Configuration["Chronoq:Engine:MaxTopics"] = "1", timeout.Token);
        using var client = new ApiClient(server.GrpcAddress);
        await client.PutAsync(new PutRequest { Topic = Topic });

        var failure = await FailsAsync(StatusCode.ResourceExhausted, () => client.PutAsync(new PutRequest { Topic = Topic + "-2" }));

        Assert.Contains($"topic {Topic}-2", failure.Detail, StringComparison.Ordinal);
        await client.PutAsync(new PutRequest { Topic = Topic });
    }

    [Fact]
    public async Task Start_InvalidEngineLimit_FailsNamingTheSetting()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => LoopbackServer.StartAsync(options => options.Configuration["Chronoq:Engine:MaxJobs"] = "0", timeout.Token));

        Assert.Contains("Chronoq:Engine:MaxJobs", failure.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Put_TopicOf200Characters_AcceptedAnd201Rejected()
    {
        var name = new string('a', 199) + "/";
        var id = (await Client.PutAsync(new PutRequest { Topic = name })).Id;

        Assert.Equal(name, (await Client.PeekAsync(id)).Topic);
        await InvalidAsync("topic", () => Client.PutAsync(new PutRequest { Topic = name + "b" }));
    }

    [Fact]
    public async Task Reserve_PrefetchOverLimit_InvalidArgumentNamingPrefetch()
    {
        await using var stream = new ReserveStream(Client, new ReserveRequest { Topics = { Topic }, Prefetch = 1_000_000 });

        var failure = await Assert.ThrowsAsync<RpcException>(() => stream.EndedAsync(TimeSpan.FromSeconds(10)));

        Assert.Equal(StatusCode.InvalidArgument, failure.StatusCode);
        Assert.Contains("prefetch", failure.Detail, StringComparison.Ordinal);
    }
}
