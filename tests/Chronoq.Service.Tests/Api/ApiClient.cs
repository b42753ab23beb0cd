using Chronoq.Protocol.Grpc;
using Chronoq.Protocol.V1;
using Chronoq.Sdk.Transport;
using Google.Protobuf;
using Grpc.Health.V1;

namespace Chronoq.Service.Tests.Api;

/// <summary>Every chronoq.v1.Chronoq RPC over our own client transport, each call with a deadline.</summary>
internal sealed class ApiClient : IDisposable
{
    /// <summary>Generous for a loaded two-core machine; a call that takes this long is a hang.</summary>
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(15);

    private static readonly Google.Protobuf.Reflection.ServiceDescriptor Service = ChronoqReflection.Descriptor.Services[0];
    private static readonly RpcMethod<PutRequest, PutResponse> PutMethod = Method<PutRequest, PutResponse>("Put");
    private static readonly RpcMethod<PutBatchRequest, PutBatchResponse> PutBatchMethod = Method<PutBatchRequest, PutBatchResponse>("PutBatch");
    private static readonly RpcMethod<ReserveRequest, ReserveResponse> ReserveMethod = Method<ReserveRequest, ReserveResponse>("Reserve");
    private static readonly RpcMethod<ReserveOneRequest, ReserveOneResponse> ReserveOneMethod = Method<ReserveOneRequest, ReserveOneResponse>("ReserveOne");
    private static readonly RpcMethod<ReserveJobRequest, ReservedJob> ReserveJobMethod = Method<ReserveJobRequest, ReservedJob>("ReserveJob");
    private static readonly RpcMethod<DeleteRequest, DeleteResponse> DeleteMethod = Method<DeleteRequest, DeleteResponse>("Delete");
    private static readonly RpcMethod<DeleteBatchRequest, DeleteBatchResponse> DeleteBatchMethod = Method<DeleteBatchRequest, DeleteBatchResponse>("DeleteBatch");
    private static readonly RpcMethod<DeleteByKeyRequest, DeleteResponse> DeleteByKeyMethod = Method<DeleteByKeyRequest, DeleteResponse>("DeleteByKey");
    private static readonly RpcMethod<ReleaseRequest, ReleaseResponse> ReleaseMethod = Method<ReleaseRequest, ReleaseResponse>("Release");
    private static readonly RpcMethod<BuryRequest, BuryResponse> BuryMethod = Method<BuryRequest, BuryResponse>("Bury");
    private static readonly RpcMethod<TouchRequest, TouchResponse> TouchMethod = Method<TouchRequest, TouchResponse>("Touch");
    private static readonly RpcMethod<KickRequest, KickResponse> KickMethod = Method<KickRequest, KickResponse>("Kick");
    private static readonly RpcMethod<KickJobRequest, KickJobResponse> KickJobMethod = Method<KickJobRequest, KickJobResponse>("KickJob");
    private static readonly RpcMethod<PeekRequest, PeekResponse> PeekMethod = Method<PeekRequest, PeekResponse>("Peek");
    private static readonly RpcMethod<PeekNextRequest, PeekResponse> PeekNextMethod = Method<PeekNextRequest, PeekResponse>("PeekNext");
    private static readonly RpcMethod<GetTopicStatsRequest, TopicStats> TopicStatsMethod = Method<GetTopicStatsRequest, TopicStats>("GetTopicStats");
    private static readonly RpcMethod<ListTopicsRequest, ListTopicsResponse> ListTopicsMethod = Method<ListTopicsRequest, ListTopicsResponse>("ListTopics");
    private static readonly RpcMethod<GetServerStatsRequest, ServerStats> ServerStatsMethod = Method<GetServerStatsRequest, ServerStats>("GetServerStats");
    private static readonly RpcMethod<PauseTopicRequest, PauseTopicResponse> PauseTopicMethod = Method<PauseTopicRequest, PauseTopicResponse>("PauseTopic");
    private static readonly RpcMethod<HealthCheckRequest, HealthCheckResponse> HealthCheckMethod =
        RpcMethod<HealthCheckRequest, HealthCheckResponse>.FromDescriptor(HealthReflection.Descriptor.Services[0].FindMethodByName("Check"));

    private readonly ChronoqChannel _channel;

    public ApiClient(Uri address) => _channel = ChronoqChannel.ForAddress(address);

    public Task<PutResponse> PutAsync(PutRequest request) => Call(PutMethod, request);

    public Task<PutBatchResponse> PutBatchAsync(PutBatchRequest request) => Call(PutBatchMethod, request);

    /// <summary>Opens a Reserve stream; dispose it (or cancel <paramref name="cancellationToken"/>) to end it.</summary>
    public ServerStreamingCall<ReserveResponse> Reserve(ReserveRequest request, CancellationToken cancellationToken) =>
        _channel.ServerStreaming(ReserveMethod, request, new CallOptions { CancellationToken = cancellationToken });

    /// <summary>Opens a Reserve stream with explicit call options (deadline, cancellation).</summary>
    public ServerStreamingCall<ReserveResponse> Reserve(ReserveRequest request, CallOptions options) =>
        _channel.ServerStreaming(ReserveMethod, request, options);

    public Task<ReserveOneResponse> ReserveOneAsync(ReserveOneRequest request) => Call(ReserveOneMethod, request);

    public Task<ReserveOneResponse> ReserveOneAsync(ReserveOneRequest request, CallOptions options) => _channel.UnaryAsync(ReserveOneMethod, request, options);

    public Task<ReservedJob> ReserveJobAsync(ulong id) => Call(ReserveJobMethod, new ReserveJobRequest { Id = id });

    public Task<DeleteResponse> DeleteAsync(ulong id, ulong reservation = 0) => Call(DeleteMethod, new DeleteRequest { Id = id, Reservation = reservation });

    public Task<DeleteBatchResponse> DeleteBatchAsync(DeleteBatchRequest request) => Call(DeleteBatchMethod, request);

    public Task<DeleteResponse> DeleteByKeyAsync(string topic, string key) => Call(DeleteByKeyMethod, new DeleteByKeyRequest { Topic = topic, Key = key });

    public Task<ReleaseResponse> ReleaseAsync(ReleaseRequest request) => Call(ReleaseMethod, request);

    public Task<BuryResponse> BuryAsync(BuryRequest request) => Call(BuryMethod, request);

    public Task<TouchResponse> TouchAsync(ulong id, ulong reservation) => Call(TouchMethod, new TouchRequest { Id = id, Reservation = reservation });

    public Task<KickResponse> KickAsync(string topic, uint bound) => Call(KickMethod, new KickRequest { Topic = topic, Bound = bound });

    public Task<KickJobResponse> KickJobAsync(ulong id) => Call(KickJobMethod, new KickJobRequest { Id = id });

    public async Task<Job> PeekAsync(ulong id) => (await Call(PeekMethod, new PeekRequest { Id = id })).Job;

    public async Task<Job> PeekNextAsync(string topic, JobState state) => (await Call(PeekNextMethod, new PeekNextRequest { Topic = topic, State = state })).Job;

    public Task<TopicStats> GetTopicStatsAsync(string topic) => Call(TopicStatsMethod, new GetTopicStatsRequest { Topic = topic });

    public Task<ListTopicsResponse> ListTopicsAsync() => Call(ListTopicsMethod, new ListTopicsRequest());

    public Task<ServerStats> GetServerStatsAsync() => Call(ServerStatsMethod, new GetServerStatsRequest());

    public Task<PauseTopicResponse> PauseTopicAsync(PauseTopicRequest request) => Call(PauseTopicMethod, request);

    public async Task<HealthCheckResponse.Types.ServingStatus> CheckHealthAsync(string service = "chronoq.v1.Chronoq") =>
        (await Call(HealthCheckMethod, new HealthCheckRequest { Service = service })).Status;

    /// <summary>Runs a call that must fail, and returns its status.</summary>
    public static async Task<RpcException> FailsAsync(StatusCode expected, Func<Task> call)
    {
        var failure = await Assert.ThrowsAsync<RpcException>(call);
        Assert.True(expected == failure.StatusCode, $"expected {expected}, got {failure.StatusCode}: {failure.Detail}");
        return failure;
    }

    /// <summary>Runs a call that must fail with INVALID_ARGUMENT naming <paramref name="field"/>.</summary>
    public static async Task InvalidAsync(string field, Func<Task> call)
    {
        var failure = await FailsAsync(StatusCode.InvalidArgument, call);
        Assert.Contains(field, failure.Detail, StringComparison.Ordinal);
    }

    public void Dispose() => _channel.Dispose();

    private Task<TResponse> Call<TRequest, TResponse>(RpcMethod<TRequest, TResponse> method, TRequest request)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        _channel.UnaryAsync(method, request, CallOptions.WithTimeout(CallTimeout));

    private static RpcMethod<TRequest, TResponse> Method<TRequest, TResponse>(string name)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        RpcMethod<TRequest, TResponse>.FromDescriptor(Service.FindMethodByName(name));
}
