using Chronoq.Protocol.Grpc;
using Chronoq.Protocol.V1;
using Chronoq.Service.Tests.Support;
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

    /// <summary>
    /// beanstalkd's negative_priority and too_big_priority answer BAD_FORMAT; here priority is a
    /// proto3 uint32, and a varint past 32 bits (a client writing -1 or 4294967296 as a 64-bit
    /// integer) keeps its low 32 bits, as protobuf decodes uint32 fields: a known difference.
    /// </summary>
    [Theory]
    [InlineData(-1L, uint.MaxValue)]
    [InlineData(1L << 32, 0u)]
    [InlineData((1L << 32) + 7, 7u)]
    public async Task Put_PriorityVarintPast32Bits_KeepsItsLow32Bits(long sent, uint stored)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var message = new MemoryStream();
        var output = new CodedOutputStream(message);
        output.WriteTag(PutRequest.TopicFieldNumber, WireFormat.WireType.LengthDelimited);
        output.WriteString(Topic);
        output.WriteTag(PutRequest.PriorityFieldNumber, WireFormat.WireType.Varint);
        output.WriteInt64(sent);
        output.Flush();
        var frame = new byte[GrpcFraming.HeaderSize + message.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
        message.ToArray().CopyTo(frame, GrpcFraming.HeaderSize);
        using var raw = new RawGrpcClient(Server.GrpcAddress);

        using var call = await raw.SendBytesAsync("/chronoq.v1.Chronoq/Put", frame, timeout.Token);
        var put = await call.ReadMessageAsync(PutResponse.Parser, timeout.Token);
        Assert.Equal(StatusCode.OK, (await call.ReadStatusAsync(timeout.Token)).Status);

        Assert.NotNull(put);
        Assert.Equal(stored, (await Client.PeekAsync(put.Id)).Priority);
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
