using Chronoq.Protocol.Grpc;
using Chronoq.Protocol.V1;
using Chronoq.Service.Storage;
using Google.Protobuf;
using Google.Protobuf.Collections;

namespace Chronoq.Service.Security.Internal;

/// <summary>
/// Decides, per chronoq.v1 request, which role the key needs on which topic. A role the key holds
/// on no topic at all is PERMISSION_DENIED. For calls that name a job by id, the job's topic is
/// looked up first; a job in a topic the key may not touch answers NOT_FOUND with the engine's own
/// words for an unknown id, so ids cannot be used to probe other tenants' topics.
/// </summary>
internal sealed class ChronoqRequestAuthorizer(ChronoqEngineHost host)
{
    public ValueTask AuthorizeAsync(ApiKeyIdentity key, IMessage request)
    {
        switch (request)
        {
            case PutRequest put:
                RequireTopic(key, ChronoqRoles.Produce, put.Topic, "Put");
                return ValueTask.CompletedTask;
            case PutBatchRequest batch:
                RequireRole(key, ChronoqRoles.Produce, "PutBatch");
                foreach (var job in batch.Jobs)
                {
                    RequireTopic(key, ChronoqRoles.Produce, job.Topic, "PutBatch");
                }

                return ValueTask.CompletedTask;
            case DeleteByKeyRequest byKey:
                RequireTopic(key, ChronoqRoles.Produce, byKey.Topic, "DeleteByKey");
                return ValueTask.CompletedTask;
            case ReserveRequest reserve:
                RequireTopics(key, ChronoqRoles.Consume, reserve.Topics, "Reserve");
                return ValueTask.CompletedTask;
            case ReserveOneRequest reserveOne:
                RequireTopics(key, ChronoqRoles.Consume, reserveOne.Topics, "ReserveOne");
                return ValueTask.CompletedTask;
            case DeleteRequest delete:
                return RequireJobAsync(key, RoleToDelete(delete), delete.Id, "Delete");
            case DeleteBatchRequest deletes:
                return RequireJobsAsync(key, deletes.Jobs);
            case ReleaseRequest release:
                return RequireJobAsync(key, ChronoqRoles.Consume, release.Id, "Release");
            case BuryRequest bury:
                return RequireJobAsync(key, ChronoqRoles.Consume, bury.Id, "Bury");
            case TouchRequest touch:
                return RequireJobAsync(key, ChronoqRoles.Consume, touch.Id, "Touch");
            case ReserveJobRequest reserveJob:
                return RequireJobAsync(key, ChronoqRoles.Admin, reserveJob.Id, "ReserveJob");
            case KickJobRequest kickJob:
                return RequireJobAsync(key, ChronoqRoles.Admin, kickJob.Id, "KickJob");
            case PeekRequest peek:
                return RequireJobAsync(key, ChronoqRoles.Admin, peek.Id, "Peek");
            case KickRequest kick:
                RequireTopic(key, ChronoqRoles.Admin, kick.Topic, "Kick");
                return ValueTask.CompletedTask;
            case PeekNextRequest peekNext:
                RequireTopic(key, ChronoqRoles.Admin, peekNext.Topic, "PeekNext");
                return ValueTask.CompletedTask;
            case PauseTopicRequest pause:
                RequireTopic(key, ChronoqRoles.Admin, pause.Topic, "PauseTopic");
                return ValueTask.CompletedTask;
            case GetTopicStatsRequest topicStats:
                RequireTopic(key, ChronoqRoles.Admin, topicStats.Topic, "GetTopicStats");
                return ValueTask.CompletedTask;
            default:
                // ListTopics and GetServerStats span every topic, so they need admin on '*'; so does
                // any call this class has no rule for (deny by default when an RPC is added).
                if (!key.CanEverywhere(ChronoqRoles.Admin))
                {
                    throw Denied($"API key '{key.Name}' needs the admin role on every topic ('*') for {request.Descriptor.Name}");
                }

                return ValueTask.CompletedTask;
        }
    }

    private static void RequireRole(ApiKeyIdentity key, ChronoqRoles role, string call)
    {
        if (!key.HasRole(role))
        {
            throw Denied($"API key '{key.Name}' has no {RoleName(role)} role, which {call} needs");
        }
    }

    private static void RequireTopic(ApiKeyIdentity key, ChronoqRoles role, string topic, string call)
    {
        if (!key.Can(role, topic))
        {
            throw key.HasRole(role)
                ? Denied($"API key '{key.Name}' has no {RoleName(role)} role on topic '{topic}', which {call} needs")
                : Denied($"API key '{key.Name}' has no {RoleName(role)} role, which {call} needs");
        }
    }

    private static void RequireTopics(ApiKeyIdentity key, ChronoqRoles role, RepeatedField<string> topics, string call)
    {
        RequireRole(key, role, call);
        foreach (var topic in topics)
        {
            RequireTopic(key, role, topic, call);
        }
    }

    private async ValueTask RequireJobAsync(ApiKeyIdentity key, ChronoqRoles role, ulong id, string call)
    {
        RequireRole(key, role, call);
        var topic = await TopicOfAsync(id).ConfigureAwait(false);
        if (topic is null || !key.Can(role, topic))
        {
            throw NotFound(id);
        }
    }

    private async ValueTask RequireJobsAsync(ApiKeyIdentity key, RepeatedField<DeleteRequest> jobs)
    {
        // All or nothing: one job the key may not delete refuses the whole batch, before any is deleted.
        for (var i = 0; i < jobs.Count; i++)
        {
            // The call's name is only built for a refusal: this loop runs for every ack the SDK batches.
            var role = RoleToDelete(jobs[i]);
            if (!key.HasRole(role))
            {
                RequireRole(key, role, $"DeleteBatch (jobs[{i}])");
            }
        }

        // Every lookup is posted before any is awaited, so the engine answers them in one drained batch.
        var topics = new Task<string?>[jobs.Count];
        for (var i = 0; i < topics.Length; i++)
        {
            topics[i] = TopicOfAsync(jobs[i].Id).AsTask();
        }

        for (var i = 0; i < topics.Length; i++)
        {
            var topic = await topics[i].ConfigureAwait(false);
            if (topic is null || !key.Can(RoleToDelete(jobs[i]), topic))
            {
                throw NotFound(jobs[i].Id, $"jobs[{i}]: ");
            }
        }
    }

    // Holding the reservation is what makes a delete a consumer's ack; without one it is an operator's removal.
    private static ChronoqRoles RoleToDelete(DeleteRequest delete) => delete.Reservation != 0 ? ChronoqRoles.Consume : ChronoqRoles.Admin;

    /// <summary>The job's topic, or null when no live job has the id. Topics never change and ids are never reused, so the answer stays true.</summary>
    private ValueTask<string?> TopicOfAsync(ulong id) =>
        (host.Engine ?? throw new RpcException(StatusCode.Unavailable, "the server is starting or shutting down")).TopicOfAsync(id);

    // The engine's own words for an unknown id, so a job hidden by authorization looks exactly like a missing one.
    private static RpcException NotFound(ulong id, string prefix = "") => new(StatusCode.NotFound, $"{prefix}job {id} not found");

    private static RpcException Denied(string message) => new(StatusCode.PermissionDenied, message);

    private static string RoleName(ChronoqRoles role) => role switch
    {
        ChronoqRoles.Produce => "produce",
        ChronoqRoles.Consume => "consume",
        _ => "admin",
    };
}
