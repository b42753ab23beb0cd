using Chronoq.Protocol.Grpc;
using Chronoq.Sdk;
using Chronoq.Sdk.Transport;
using Chronoq.Security.Tests.Support;
using Chronoq.Service.Security;
using Chronoq.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;

namespace Chronoq.Security.Tests.Auth;

/// <summary>Every authentication and authorization path through the real host on loopback, with the SDK as the client.</summary>
public sealed class ApiKeyAuthenticationTests : IAsyncLifetime
{
    private static readonly byte[] Body = "{}"u8.ToArray();
    private static int s_extraKeys;
    private readonly TestKeys _keys = new();
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));
    private LoopbackServer _server = null!;

    private CancellationToken Token => _timeout.Token;

    public async Task InitializeAsync() =>
        _server = await LoopbackServer.StartAsync(options => _keys.AddTo(options.Configuration), Token);

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _timeout.Dispose();
    }

    [Fact]
    public async Task Put_ValidKey_Succeeds()
    {
        await using var producer = Client(_keys.Producer);
        var put = await producer.PutAsync("orders.eu", Body, cancellationToken: Token);
        Assert.True(put.Id > 0);
    }

    [Fact]
    public async Task Put_NoKey_UnauthenticatedSayingMissing()
    {
        await using var anonymous = Client(authentication: null);
        var error = await Assert.ThrowsAsync<RpcException>(() => anonymous.PutAsync("orders.eu", Body, cancellationToken: Token));
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Contains("missing API key", error.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Put_UnknownKey_UnauthenticatedSayingUnknown()
    {
        await using var stranger = Client(ApiKeyHash.NewKey());
        var error = await Assert.ThrowsAsync<RpcException>(() => stranger.PutAsync("orders.eu", Body, cancellationToken: Token));
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Equal("unknown API key", error.Detail);
    }

    [Fact]
    public async Task Put_NotBearerScheme_UnauthenticatedSayingMalformed()
    {
        await using var basic = Client(authentication: (_, headers, _) =>
        {
            headers.Add("authorization", "Basic " + _keys.Producer);
            return ValueTask.CompletedTask;
        });
        var error = await Assert.ThrowsAsync<RpcException>(() => basic.PutAsync("orders.eu", Body, cancellationToken: Token));
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Contains("malformed", error.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Put_RevokedKey_UnauthenticatedSayingRevoked()
    {
        await using var revoked = Client(_keys.Revoked);
        var error = await Assert.ThrowsAsync<RpcException>(() => revoked.PutAsync("orders.eu", Body, cancellationToken: Token));
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Equal("API key 'old-ci' has been revoked", error.Detail);
    }

    [Fact]
    public async Task Put_KeyRevokedByConfigurationReload_UnauthenticatedOnNextCall()
    {
        await using var producer = Client(_keys.Producer);
        await producer.PutAsync("orders.eu", Body, cancellationToken: Token);

        var configuration = (IConfigurationRoot)_server.Services.GetRequiredService<IConfiguration>();
        var memory = configuration.Providers.OfType<MemoryConfigurationProvider>().Last();
        memory.Set("Chronoq:Auth:Keys:0:Revoked", "true");
        configuration.Reload();

        var error = await Assert.ThrowsAsync<RpcException>(() => producer.PutAsync("orders.eu", Body, cancellationToken: Token));
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Contains("revoked", error.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Put_TopicOutsideGrant_PermissionDeniedNamingTopic()
    {
        await using var producer = Client(_keys.Producer);
        var error = await Assert.ThrowsAsync<RpcException>(() => producer.PutAsync("billing", Body, cancellationToken: Token));
        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Equal("API key 'producer' has no produce role on topic 'billing', which Put needs", error.Detail);
    }

    [Fact]
    public async Task Kick_ProducerKey_PermissionDeniedNamingRole()
    {
        await using var producer = Client(_keys.Producer);
        var error = await Assert.ThrowsAsync<RpcException>(() => producer.KickAsync("orders.eu", 10, Token));
        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Equal("API key 'producer' has no admin role, which Kick needs", error.Detail);
    }

    [Fact]
    public async Task PutBatch_OneTopicOutsideGrant_PermissionDeniedAndNothingPut()
    {
        await using var producer = Client(_keys.Producer);
        await using var admin = Client(_keys.Admin);
        var error = await Assert.ThrowsAsync<RpcException>(() => producer.PutBatchAsync(
            [new Protocol.V1.PutRequest { Topic = "orders.batch", Body = Google.Protobuf.ByteString.CopyFrom(Body) }, new Protocol.V1.PutRequest { Topic = "billing", Body = Google.Protobuf.ByteString.CopyFrom(Body) }],
            Token));
        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Equal(0u, (await admin.GetTopicStatsAsync("orders.batch", Token)).Ready);
    }

    [Fact]
    public async Task ReserveAndDelete_ConsumerKeyHoldingTheJob_Succeeds()
    {
        await using var producer = Client(_keys.Producer);
        await using var consumer = Client(_keys.Consumer);
        var put = await producer.PutAsync("orders.consume", Body, cancellationToken: Token);

        var job = await consumer.ReserveOneAsync("orders.consume", TimeSpan.FromSeconds(5), Token);
        Assert.NotNull(job);
        Assert.Equal(put.Id, job.Id);
        await consumer.TouchAsync(job.Id, job.Reservation, Token);
        await consumer.DeleteAsync(job.Id, job.Reservation, Token);
    }

    [Fact]
    public async Task Delete_ConsumerKeyWithoutReservation_PermissionDeniedForAdminRole()
    {
        await using var producer = Client(_keys.Producer);
        await using var consumer = Client(_keys.Consumer);
        var put = await producer.PutAsync("orders.plain", Body, cancellationToken: Token);

        var error = await Assert.ThrowsAsync<RpcException>(() => consumer.DeleteAsync(put.Id, 0, Token));
        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Contains("admin", error.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Release_JobInTopicOutsideGrant_NotFoundLikeAnUnknownId()
    {
        await using var admin = Client(_keys.Admin);
        await using var consumer = Client(_keys.Consumer);
        var put = await admin.ReserveJobAsync((await PutAsAdminAsync("billing")).Id, Token);

        var hidden = await Assert.ThrowsAsync<RpcException>(() => consumer.ReleaseAsync(put.Id, put.Reservation, cancellationToken: Token));
        var unknown = await Assert.ThrowsAsync<RpcException>(() => consumer.ReleaseAsync(put.Id + 1_000_000, put.Reservation, cancellationToken: Token));
        Assert.Equal(StatusCode.NotFound, hidden.StatusCode);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        Assert.Equal($"job {put.Id} not found", hidden.Detail);
        Assert.Equal($"job {put.Id + 1_000_000} not found", unknown.Detail);
    }

    [Fact]
    public async Task Reserve_ConsumerKey_StreamsJobsAndProducerKeyIsDenied()
    {
        await using var producer = Client(_keys.Producer);
        await using var consumer = Client(_keys.Consumer);
        var put = await producer.PutAsync("orders.stream", Body, cancellationToken: Token);

        await foreach (var job in consumer.ReserveAsync("orders.stream", cancellationToken: Token))
        {
            Assert.Equal(put.Id, job.Id);
            await job.DeleteAsync(Token);
            break;
        }

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var job in producer.ReserveAsync("orders.stream", cancellationToken: Token))
            {
                Assert.Fail($"the producer key reserved {job}");
            }
        });
        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Equal("API key 'producer' has no consume role, which Reserve needs", error.Detail);
    }

    [Fact]
    public async Task DeleteBatch_OneJobInTopicOutsideGrant_WholeBatchNotFoundAndNothingDeleted()
    {
        await using var consumer = Client(_keys.Consumer);
        await using var admin = Client(_keys.Admin);
        await PutAsAdminAsync("orders.batchdel");
        await PutAsAdminAsync("billing.batchdel");
        var mine = await consumer.ReserveOneAsync("orders.batchdel", TimeSpan.FromSeconds(5), Token);
        await using var billing = Client(GrantingKey(out _, "consume", "billing.*"));
        var theirs = await billing.ReserveOneAsync("billing.batchdel", TimeSpan.FromSeconds(5), Token);
        Assert.NotNull(mine);
        Assert.NotNull(theirs);

        var error = await Assert.ThrowsAsync<RpcException>(() => consumer.DeleteBatchAsync(
            [new Protocol.V1.DeleteRequest { Id = mine.Id, Reservation = mine.Reservation }, new Protocol.V1.DeleteRequest { Id = theirs.Id, Reservation = theirs.Reservation }],
            Token));
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal($"jobs[1]: job {theirs.Id} not found", error.Detail);
        Assert.Equal(1u, (await admin.GetTopicStatsAsync("orders.batchdel", Token)).Reserved);
        Assert.Equal(1u, (await admin.GetTopicStatsAsync("billing.batchdel", Token)).Reserved);
    }

    [Theory]
    [InlineData("team-a.jobs", true)]
    [InlineData("team-.jobs", true)]
    [InlineData("team-a.b.jobs", true)]
    [InlineData("team-a.job", false)]
    [InlineData("xteam-a.jobs", false)]
    [InlineData("team-a.jobs.x", false)]
    public async Task Put_GrantWithInnerWildcard_MatchesOnlyThePattern(string topic, bool allowed)
    {
        await using var producer = Client(GrantingKey(out _, "produce", "team-*.jobs"));
        if (allowed)
        {
            Assert.True((await producer.PutAsync(topic, Body, cancellationToken: Token)).Id > 0);
        }
        else
        {
            var error = await Assert.ThrowsAsync<RpcException>(() => producer.PutAsync(topic, Body, cancellationToken: Token));
            Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        }
    }

    [Fact]
    public async Task StatsAndListTopics_AdminOnEveryTopic_Succeed()
    {
        await using var admin = Client(_keys.Admin);
        await PutAsAdminAsync("orders.stats");
        Assert.Contains(await admin.ListTopicsAsync(Token), topic => topic.Name == "orders.stats");
        Assert.True((await admin.GetServerStatsAsync(Token)).Ready >= 1);
    }

    [Fact]
    public async Task ListTopics_ProducerKey_PermissionDenied()
    {
        await using var producer = Client(_keys.Producer);
        var error = await Assert.ThrowsAsync<RpcException>(() => producer.ListTopicsAsync(Token));
        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
    }

    [Fact]
    public async Task HealthCheck_NoKey_Serving()
    {
        using var raw = new RawGrpc(_server.GrpcAddress);
        var reply = await raw.CallAsync("/grpc.health.v1.Health/Check", RawGrpc.Frame(new Grpc.Health.V1.HealthCheckRequest()), Token);
        Assert.Equal(0, reply.GrpcStatus);
        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, RawGrpc.FirstMessage(reply, Grpc.Health.V1.HealthCheckResponse.Parser)!.Status);
    }

    [Fact]
    public async Task Reflection_NoKey_ListsServices()
    {
        using var raw = new RawGrpc(_server.GrpcAddress);
        var reply = await raw.CallAsync("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", RawGrpc.Frame(new Grpc.Reflection.V1.ServerReflectionRequest { ListServices = "" }), Token);
        Assert.Equal(0, reply.GrpcStatus);
        var services = RawGrpc.FirstMessage(reply, Grpc.Reflection.V1.ServerReflectionResponse.Parser)!.ListServicesResponse.Service;
        Assert.Contains(services, service => service.Name == "chronoq.v1.Chronoq");
    }

    private async Task<Sdk.PutResult> PutAsAdminAsync(string topic)
    {
        // The operator key cannot produce; a key granting produce on every topic does the put.
        await using var anyProducer = Client(GrantingKey(out _, "produce", "*"));
        return await anyProducer.PutAsync(topic, Body, cancellationToken: Token);
    }

    /// <summary>Adds a key to the running server's configuration and reloads it.</summary>
    private string GrantingKey(out string key, string role, string topic)
    {
        key = ApiKeyHash.NewKey();
        var configuration = (IConfigurationRoot)_server.Services.GetRequiredService<IConfiguration>();
        var memory = configuration.Providers.OfType<MemoryConfigurationProvider>().Last();
        var index = 10 + Interlocked.Increment(ref s_extraKeys);
        memory.Set($"Chronoq:Auth:Keys:{index}:Name", $"extra-{index}");
        memory.Set($"Chronoq:Auth:Keys:{index}:Hash", ApiKeyHash.Compute(key));
        memory.Set($"Chronoq:Auth:Keys:{index}:Grants:0:Roles:0", role);
        memory.Set($"Chronoq:Auth:Keys:{index}:Grants:0:Topics:0", topic);
        configuration.Reload();
        return key;
    }

    private ChronoqClient Client(string apiKey) => Client(ApiKeyAuthentication.Bearer(apiKey));

    private ChronoqClient Client(RequestMetadataProvider? authentication) => new(ChronoqClientOptions.Default with
    {
        Address = _server.GrpcAddress,
        Authentication = authentication,
        MaxCallAttempts = 1,
    });
}
