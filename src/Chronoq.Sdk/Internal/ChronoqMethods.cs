using Chronoq.Protocol.V1;
using Chronoq.Sdk.Transport;
using Google.Protobuf;

namespace Chronoq.Sdk.Internal;

/// <summary>The methods of <c>chronoq.v1.Chronoq</c>, described once from the generated file descriptor.</summary>
internal static class ChronoqMethods
{
    public static readonly RpcMethod<PutRequest, PutResponse> Put = Describe<PutRequest, PutResponse>("Put");
    public static readonly RpcMethod<PutBatchRequest, PutBatchResponse> PutBatch = Describe<PutBatchRequest, PutBatchResponse>("PutBatch");
    public static readonly RpcMethod<ReserveRequest, ReserveResponse> Reserve = Describe<ReserveRequest, ReserveResponse>("Reserve");
    public static readonly RpcMethod<ReserveOneRequest, ReserveOneResponse> ReserveOne = Describe<ReserveOneRequest, ReserveOneResponse>("ReserveOne");
    public static readonly RpcMethod<ReserveJobRequest, ReservedJob> ReserveJob = Describe<ReserveJobRequest, ReservedJob>("ReserveJob");
    public static readonly RpcMethod<DeleteRequest, DeleteResponse> Delete = Describe<DeleteRequest, DeleteResponse>("Delete");
    public static readonly RpcMethod<DeleteBatchRequest, DeleteBatchResponse> DeleteBatch = Describe<DeleteBatchRequest, DeleteBatchResponse>("DeleteBatch");
    public static readonly RpcMethod<DeleteByKeyRequest, DeleteResponse> DeleteByKey = Describe<DeleteByKeyRequest, DeleteResponse>("DeleteByKey");
    public static readonly RpcMethod<ReleaseRequest, ReleaseResponse> Release = Describe<ReleaseRequest, ReleaseResponse>("Release");
    public static readonly RpcMethod<BuryRequest, BuryResponse> Bury = Describe<BuryRequest, BuryResponse>("Bury");
    public static readonly RpcMethod<TouchRequest, TouchResponse> Touch = Describe<TouchRequest, TouchResponse>("Touch");
    public static readonly RpcMethod<KickRequest, KickResponse> Kick = Describe<KickRequest, KickResponse>("Kick");
    public static readonly RpcMethod<KickJobRequest, KickJobResponse> KickJob = Describe<KickJobRequest, KickJobResponse>("KickJob");
    public static readonly RpcMethod<PeekRequest, PeekResponse> Peek = Describe<PeekRequest, PeekResponse>("Peek");
    public static readonly RpcMethod<PeekNextRequest, PeekResponse> PeekNext = Describe<PeekNextRequest, PeekResponse>("PeekNext");
    public static readonly RpcMethod<GetTopicStatsRequest, TopicStats> GetTopicStats = Describe<GetTopicStatsRequest, TopicStats>("GetTopicStats");
    public static readonly RpcMethod<ListTopicsRequest, ListTopicsResponse> ListTopics = Describe<ListTopicsRequest, ListTopicsResponse>("ListTopics");
    public static readonly RpcMethod<GetServerStatsRequest, ServerStats> GetServerStats = Describe<GetServerStatsRequest, ServerStats>("GetServerStats");
    public static readonly RpcMethod<PauseTopicRequest, PauseTopicResponse> PauseTopic = Describe<PauseTopicRequest, PauseTopicResponse>("PauseTopic");

    private static RpcMethod<TRequest, TResponse> Describe<TRequest, TResponse>(string name)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        RpcMethod<TRequest, TResponse>.FromDescriptor(ChronoqReflection.Descriptor.Services[0].FindMethodByName(name)
            ?? throw new InvalidOperationException($"chronoq.v1.Chronoq has no method {name}."));
}
