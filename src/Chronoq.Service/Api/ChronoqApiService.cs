using Chronoq.Core;
using Chronoq.Core.Storage;
using Chronoq.Protocol.Grpc;
using Chronoq.Protocol.V1;
using Chronoq.Service.Api.Internal;
using Chronoq.Service.Storage;
using Chronoq.Service.Transport;
using Microsoft.Extensions.Hosting;
using static Chronoq.Service.Api.Internal.RpcStatusMapping;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;
using Wire = Chronoq.Protocol.V1;

namespace Chronoq.Service.Api;

/// <summary>
/// chronoq.v1.Chronoq: each RPC translated to one engine call and back. Validation the engine does
/// itself (topics, keys, sizes, states) is not repeated here; only what it cannot see — malformed
/// Timestamp/Duration values, enum values — is checked here, and every non-OK outcome becomes a
/// status through <see cref="RpcStatusMapping"/>.
/// </summary>
internal sealed class ChronoqApiService(ChronoqEngineHost host, IHostApplicationLifetime lifetime) : IGrpcService
{
    // Never changed after creation, so every empty PutBatch can share it.
    private static readonly PutBatchResponse EmptyBatch = new();

    public ServiceDescriptor Descriptor => ChronoqReflection.Descriptor.Services[0];

    public void Register(GrpcServiceBuilder builder) => builder
        .MapUnary<PutRequest, PutResponse>("Put", PutAsync)
        .MapUnary<PutBatchRequest, PutBatchResponse>("PutBatch", PutBatchAsync)
        .MapServerStreaming<ReserveRequest, ReserveResponse>("Reserve", ReserveAsync)
        .MapUnary<ReserveOneRequest, ReserveOneResponse>("ReserveOne", ReserveOneAsync)
        .MapUnary<ReserveJobRequest, Wire.ReservedJob>("ReserveJob", ReserveJobAsync)
        .MapUnary<DeleteRequest, DeleteResponse>("Delete", DeleteAsync)
        .MapUnary<DeleteBatchRequest, DeleteBatchResponse>("DeleteBatch", DeleteBatchAsync)
        .MapUnary<DeleteByKeyRequest, DeleteResponse>("DeleteByKey", DeleteByKeyAsync)
        .MapUnary<ReleaseRequest, ReleaseResponse>("Release", ReleaseAsync)
        .MapUnary<BuryRequest, BuryResponse>("Bury", BuryAsync)
        .MapUnary<TouchRequest, TouchResponse>("Touch", TouchAsync)
        .MapUnary<KickRequest, KickResponse>("Kick", KickAsync)
        .MapUnary<KickJobRequest, KickJobResponse>("KickJob", KickJobAsync)
        .MapUnary<PeekRequest, PeekResponse>("Peek", PeekAsync)
        .MapUnary<PeekNextRequest, PeekResponse>("PeekNext", PeekNextAsync)
        .MapUnary<GetTopicStatsRequest, Wire.TopicStats>("GetTopicStats", GetTopicStatsAsync)
        .MapUnary<ListTopicsRequest, ListTopicsResponse>("ListTopics", ListTopicsAsync)
        .MapUnary<GetServerStatsRequest, Wire.ServerStats>("GetServerStats", GetServerStatsAsync)
        .MapUnary<PauseTopicRequest, PauseTopicResponse>("PauseTopic", PauseTopicAsync);

    /// <summary>The engine, or UNAVAILABLE while the server starts or stops.</summary>
    private ChronoqEngine Engine => host.Engine ?? throw new RpcException(StatusCode.Unavailable, "the server is starting or shutting down");

    private async ValueTask<PutResponse> PutAsync(PutRequest request, ServerCallContext context)
    {
        var spec = JobMessages.ToSpec(request, "");
        var put = Unwrap(await Engine.PutAsync(spec).ConfigureAwait(false));
        return new PutResponse { Id = put.Id, Created = put.Created };
    }

    private async ValueTask<PutBatchResponse> PutBatchAsync(PutBatchRequest request, ServerCallContext context)
    {
        var jobs = request.Jobs;
        if (jobs.Count == 0)
        {
            return EmptyBatch;
        }

        var specs = new JobSpec[jobs.Count];
        for (var i = 0; i < specs.Length; i++)
        {
            specs[i] = JobMessages.ToSpec(jobs[i], $"jobs[{i}].");
        }

        var results = Unwrap(await Engine.PutBatchAsync(specs).ConfigureAwait(false));
        var response = new PutBatchResponse();
        foreach (var put in results)
        {
            response.Results.Add(new PutResponse { Id = put.Id, Created = put.Created });
        }

        return response;
    }

    private async Task ReserveAsync(ReserveRequest request, IServerStreamWriter<ReserveResponse> responses, ServerCallContext context)
    {
        var engine = Engine;
        var stream = Unwrap(await engine.OpenReservationStreamAsync(request.Topics, request.Prefetch).ConfigureAwait(false));

        // However the call ends — client cancel, disconnect, deadline, a failed write, server
        // shutdown — the stream is disposed here, which returns its held jobs to READY at once.
        await using (stream.ConfigureAwait(false))
        {
            using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
            var events = stream.Events;
            try
            {
                while (await events.WaitToReadAsync(ended.Token).ConfigureAwait(false))
                {
                    while (events.TryRead(out var item))
                    {
                        await responses.WriteAsync(ToResponse(item), ended.Token).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
            {
                throw new RpcException(StatusCode.Unavailable, "the server is shutting down");
            }
            catch (StorageUnavailableException ex)
            {
                // The engine ended the stream: a job for it had its body only in the store, and the
                // store could not be read. The job went back to READY; the client may reconnect.
                throw new RpcException(StatusCode.Unavailable, ex.Message);
            }
        }

        // The events ended without the call ending: the engine stopped.
        throw new RpcException(StatusCode.Unavailable, "the server is shutting down");
    }

    private static ReserveResponse ToResponse(in ReservationEvent item) => item.Kind == ReservationEventKind.DeadlineSoon
        ? new ReserveResponse { DeadlineSoon = JobMessages.ToDeadlineSoon(item.DeadlineSoon) }
        : new ReserveResponse { Job = JobMessages.ToReservedJob(item.Job) };

    private async ValueTask<ReserveOneResponse> ReserveOneAsync(ReserveOneRequest request, ServerCallContext context)
    {
        var engine = Engine;
        var timeout = JobMessages.ReadSpan(request.Timeout, "", "timeout") ?? TimeSpan.Zero;
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        var reserved = Unwrap(await engine.ReserveOneAsync(request.Topics, timeout, ended.Token).ConfigureAwait(false));
        if (ended.IsCancellationRequested)
        {
            if (reserved is { } late)
            {
                // Reserved as the call ended: nobody will receive it, so hand it back rather than
                // leave it held until its TTR runs out.
                await engine.ReleaseAsync(late.Job.Id, late.Reservation).ConfigureAwait(false);
            }

            if (!context.CancellationToken.IsCancellationRequested)
            {
                throw new RpcException(StatusCode.Unavailable, "the server is shutting down");
            }

            context.CancellationToken.ThrowIfCancellationRequested();
        }

        return reserved is { } job ? new ReserveOneResponse { Job = JobMessages.ToReservedJob(job) } : new ReserveOneResponse();
    }

    private async ValueTask<Wire.ReservedJob> ReserveJobAsync(ReserveJobRequest request, ServerCallContext context) =>
        JobMessages.ToReservedJob(Unwrap(await Engine.ReserveJobAsync(request.Id).ConfigureAwait(false)));

    private async ValueTask<DeleteResponse> DeleteAsync(DeleteRequest request, ServerCallContext context)
    {
        ThrowIfFailed(await Engine.DeleteAsync(request.Id, request.Reservation).ConfigureAwait(false));
        return new DeleteResponse();
    }

    private async ValueTask<DeleteBatchResponse> DeleteBatchAsync(DeleteBatchRequest request, ServerCallContext context)
    {
        var jobs = request.Jobs;
        var targets = new DeleteTarget[jobs.Count];
        for (var i = 0; i < targets.Length; i++)
        {
            targets[i] = new DeleteTarget(jobs[i].Id, jobs[i].Reservation);
        }

        var statuses = Unwrap(await Engine.DeleteBatchAsync(targets).ConfigureAwait(false));
        var response = new DeleteBatchResponse();
        foreach (var status in statuses)
        {
            response.Results.Add(status.IsOk
                ? new DeleteResult()
                : new DeleteResult { Code = (int)ToStatusCode(status.Code), Message = MessageOf(status) });
        }

        return response;
    }

    private async ValueTask<DeleteResponse> DeleteByKeyAsync(DeleteByKeyRequest request, ServerCallContext context)
    {
        ThrowIfFailed(await Engine.DeleteByKeyAsync(request.Topic, request.Key).ConfigureAwait(false));
        return new DeleteResponse();
    }

    private async ValueTask<ReleaseResponse> ReleaseAsync(ReleaseRequest request, ServerCallContext context)
    {
        var delay = JobMessages.ReadSpan(request.Delay, "", "delay") ?? TimeSpan.Zero;
        uint? priority = request.HasPriority ? request.Priority : null;
        ThrowIfFailed(await Engine.ReleaseAsync(request.Id, request.Reservation, priority, delay).ConfigureAwait(false));
        return new ReleaseResponse();
    }

    private async ValueTask<BuryResponse> BuryAsync(BuryRequest request, ServerCallContext context)
    {
        uint? priority = request.HasPriority ? request.Priority : null;
        ThrowIfFailed(await Engine.BuryAsync(request.Id, request.Reservation, priority).ConfigureAwait(false));
        return new BuryResponse();
    }

    private async ValueTask<TouchResponse> TouchAsync(TouchRequest request, ServerCallContext context)
    {
        var deadline = Unwrap(await Engine.TouchAsync(request.Id, request.Reservation).ConfigureAwait(false));
        return new TouchResponse { Deadline = WireTime.ToTimestamp(deadline) };
    }

    private async ValueTask<KickResponse> KickAsync(KickRequest request, ServerCallContext context) =>
        new() { Kicked = Unwrap(await Engine.KickAsync(request.Topic, request.Bound).ConfigureAwait(false)) };

    private async ValueTask<KickJobResponse> KickJobAsync(KickJobRequest request, ServerCallContext context)
    {
        ThrowIfFailed(await Engine.KickJobAsync(request.Id).ConfigureAwait(false));
        return new KickJobResponse();
    }

    private async ValueTask<PeekResponse> PeekAsync(PeekRequest request, ServerCallContext context) =>
        new() { Job = JobMessages.ToJob(Unwrap(await Engine.PeekAsync(request.Id).ConfigureAwait(false))) };

    private async ValueTask<PeekResponse> PeekNextAsync(PeekNextRequest request, ServerCallContext context)
    {
        var state = JobMessages.ToPeekState(request.State);
        return new() { Job = JobMessages.ToJob(Unwrap(await Engine.PeekNextAsync(request.Topic, state).ConfigureAwait(false))) };
    }

    private async ValueTask<Wire.TopicStats> GetTopicStatsAsync(GetTopicStatsRequest request, ServerCallContext context) =>
        StatsMessages.ToTopicStats(Unwrap(await Engine.GetTopicStatsAsync(request.Topic).ConfigureAwait(false)));

    private async ValueTask<ListTopicsResponse> ListTopicsAsync(ListTopicsRequest request, ServerCallContext context)
    {
        var topics = Unwrap(await Engine.ListTopicsAsync().ConfigureAwait(false));
        var response = new ListTopicsResponse();
        foreach (var topic in topics)
        {
            response.Topics.Add(StatsMessages.ToTopicStats(topic));
        }

        return response;
    }

    private async ValueTask<Wire.ServerStats> GetServerStatsAsync(GetServerStatsRequest request, ServerCallContext context) =>
        StatsMessages.ToServerStats(Unwrap(await Engine.GetServerStatsAsync().ConfigureAwait(false)));

    private async ValueTask<PauseTopicResponse> PauseTopicAsync(PauseTopicRequest request, ServerCallContext context)
    {
        // Unset is proto3's zero: it ends a pause, as an explicit 0 does.
        var duration = JobMessages.ReadSpan(request.Duration, "", "duration") ?? TimeSpan.Zero;
        ThrowIfFailed(await Engine.PauseTopicAsync(request.Topic, duration).ConfigureAwait(false));
        return new PauseTopicResponse();
    }
}
