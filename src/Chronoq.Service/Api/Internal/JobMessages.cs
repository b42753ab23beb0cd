using Chronoq.Core;
using Google.Protobuf;
using Wire = Chronoq.Protocol.V1;

namespace Chronoq.Service.Api.Internal;

/// <summary>Jobs between the wire (chronoq.v1) and the engine's domain types.</summary>
internal static class JobMessages
{
    /// <summary>
    /// The job a PutRequest describes. Only what the engine cannot check is checked here (the
    /// well-formedness of times); <paramref name="prefix"/> is <c>""</c> for Put and
    /// <c>"jobs[i]."</c> in a PutBatch, so every message names the field as the caller sent it.
    /// </summary>
    public static JobSpec ToSpec(Wire.PutRequest request, string prefix)
    {
        TimeSpan? delay = null;
        DateTimeOffset? runAt = null;
        switch (request.ScheduleCase)
        {
            case Wire.PutRequest.ScheduleOneofCase.Delay:
                delay = ReadSpan(request.Delay, prefix, "delay");
                break;
            case Wire.PutRequest.ScheduleOneofCase.RunAt:
                if (!WireTime.TryReadTime(request.RunAt, prefix + "run_at", out runAt, out var timeError))
                {
                    RpcStatusMapping.ThrowInvalid(timeError!);
                }

                break;
        }

        return new JobSpec
        {
            Topic = request.Topic,
            // ByteString is immutable, so the engine may keep its memory without a copy.
            Body = request.Body.Memory,
            Priority = request.Priority,
            Delay = delay,
            RunAt = runAt,
            Ttr = ReadSpan(request.Ttr, prefix, "ttr"),
            Key = request.Key.Length == 0 ? null : request.Key,
            Headers = request.Headers.Count == 0 ? null : new Dictionary<string, string>(request.Headers, StringComparer.Ordinal),
        };
    }

    /// <summary>A Duration field that must be well-formed and not negative; null when unset.</summary>
    public static TimeSpan? ReadSpan(Google.Protobuf.WellKnownTypes.Duration? duration, string prefix, string field)
    {
        if (!WireTime.TryReadSpan(duration, prefix + field, out var span, out var error))
        {
            RpcStatusMapping.ThrowInvalid(error!);
        }

        return span;
    }

    /// <summary>The wire form of a job snapshot.</summary>
    public static Wire.Job ToJob(in JobInfo job)
    {
        var message = new Wire.Job
        {
            Id = job.Id,
            Topic = job.Topic ?? "",
            // The engine never changes a body it handed out, so the wire message may share it.
            Body = UnsafeByteOperations.UnsafeWrap(job.Body),
            Priority = job.Priority,
            State = ToWireState(job.State),
            ReadyAt = WireTime.ToTimestamp(job.ReadyAt),
            Ttr = WireTime.ToDuration(job.Ttr),
            Key = job.Key ?? "",
            CreatedAt = WireTime.ToTimestamp(job.CreatedAt),
            Reserves = job.Reserves,
            Timeouts = job.Timeouts,
            Releases = job.Releases,
            Buries = job.Buries,
            Kicks = job.Kicks,
        };
        if (job.Headers is { Count: > 0 } headers)
        {
            foreach (var header in headers)
            {
                message.Headers.Add(header.Key, header.Value);
            }
        }

        if (job.Deadline is { } deadline)
        {
            message.Deadline = WireTime.ToTimestamp(deadline);
        }

        return message;
    }

    /// <summary>The wire form of a reservation.</summary>
    public static Wire.ReservedJob ToReservedJob(in ReservedJob reserved) => new()
    {
        Job = ToJob(reserved.Job),
        Reservation = reserved.Reservation,
        Deadline = WireTime.ToTimestamp(reserved.Deadline),
    };

    /// <summary>The wire form of a deadline warning.</summary>
    public static Wire.DeadlineSoon ToDeadlineSoon(in DeadlineSoon warning) => new()
    {
        Id = warning.Id,
        Reservation = warning.Reservation,
        Deadline = WireTime.ToTimestamp(warning.Deadline),
    };

    /// <summary>The wire state of an engine state (the numbers match by design; the switch keeps them honest).</summary>
    public static Wire.JobState ToWireState(JobState state) => state switch
    {
        JobState.Ready => Wire.JobState.Ready,
        JobState.Delayed => Wire.JobState.Delayed,
        JobState.Reserved => Wire.JobState.Reserved,
        JobState.Buried => Wire.JobState.Buried,
        _ => Wire.JobState.Unspecified,
    };

    /// <summary>
    /// The engine state a PeekNext asks for: READY, DELAYED or BURIED. UNSPECIFIED, RESERVED and
    /// unknown numbers are INVALID_ARGUMENT naming <c>state</c>.
    /// </summary>
    public static JobState ToPeekState(Wire.JobState state) => state switch
    {
        Wire.JobState.Ready => JobState.Ready,
        Wire.JobState.Delayed => JobState.Delayed,
        Wire.JobState.Buried => JobState.Buried,
        _ => throw RpcStatusMapping.Invalid("state must be JOB_STATE_READY, JOB_STATE_DELAYED or JOB_STATE_BURIED"),
    };
}
