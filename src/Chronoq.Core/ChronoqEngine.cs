using Chronoq.Core.Internal;
using Chronoq.Core.Storage;

namespace Chronoq.Core;

/// <summary>
/// The Chronoq engine: every operation of the chronoq.v1.Chronoq service in domain types. Inputs are
/// validated here with messages naming the proto fields; expected outcomes (not found, wrong state,
/// timed out) come back as <see cref="EngineStatus"/> values, never as exceptions. Thread-safe: all
/// state lives on one engine thread, which callers reach through a lock-free command queue; changes are
/// answered only after the store committed them, and a failed commit answers UNAVAILABLE with
/// memory rolled back. Create with <see cref="StartAsync"/>; stop with <see cref="DisposeAsync"/>.
/// </summary>
public sealed class ChronoqEngine : IAsyncDisposable
{
    private readonly EngineCore _core;
    private readonly EngineOptions _options;
    private readonly IJobStore _store;

    private ChronoqEngine(EngineCore core, EngineOptions options, IJobStore store)
    {
        _core = core;
        _options = options;
        _store = store;
    }

    /// <summary>Turns the engine loop has run (for benchmarks: commands per turn).</summary>
    internal long Turns => _core.Turns;

    /// <summary>The loop and its state, for the heap tests to see when a stopped engine is garbage.</summary>
    internal object Core => _core;

    /// <summary>Bytes of job bodies held in memory, for tests of the body budget (read once the engine is idle).</summary>
    internal long HeldBodyBytes => _core.HeldBodyBytes;

    /// <summary>The store's kind ("memory" or "postgres").</summary>
    public string StorageKind => _store.Kind;

    /// <summary>
    /// Recovers the store's live jobs (reserved → READY, overdue delayed → READY; ids continue above
    /// the high-water mark; keys restored) and starts the engine thread.
    /// </summary>
    public static async Task<ChronoqEngine> StartAsync(EngineOptions options, IJobStore store, TimeProvider timeProvider, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(timeProvider);
        options.Validate();
        var state = await store.RecoverAsync(cancellationToken).ConfigureAwait(false);
        var core = new EngineCore(options, store, timeProvider);
        core.Recover(state);
        core.Start();
        return new ChronoqEngine(core, options, store);
    }

    /// <summary>Puts a job (Put). Answered once durable; with a live key, returns that job's id and <c>Created = false</c>.</summary>
    public ValueTask<EngineResult<PutResult>> PutAsync(JobSpec job)
    {
        var status = RequestRules.CheckPut(job, "", _options);
        if (!status.IsOk)
        {
            return ValueTask.FromResult(new EngineResult<PutResult>(status));
        }

        var command = _core.Rent(CommandKind.Put);
        command.Spec = job;
        var task = command.AsPutTask();
        _core.Enqueue(command);
        return task;
    }

    /// <summary>
    /// Puts many jobs all-or-nothing in one commit (PutBatch); results in request order. A key repeated
    /// inside the batch gives the later position the earlier one's id with <c>Created = false</c>.
    /// </summary>
    public async ValueTask<EngineResult<PutResult[]>> PutBatchAsync(IReadOnlyList<JobSpec> jobs)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        if (jobs.Count > _options.MaxBatchItems)
        {
            return new(EngineStatus.Exhausted($"jobs holds more than {_options.MaxBatchItems} items"));
        }

        for (var i = 0; i < jobs.Count; i++)
        {
            var status = RequestRules.CheckPut(jobs[i], $"jobs[{i}].", _options);
            if (!status.IsOk)
            {
                return new(status);
            }
        }

        if (jobs.Count == 0)
        {
            return new(Array.Empty<PutResult>());
        }

        var command = _core.Rent(CommandKind.PutBatch);
        command.Specs = jobs;
        await _core.Post(command).ConfigureAwait(false);
        var result = command.Status.IsOk ? new EngineResult<PutResult[]>(command.PutResults!) : new EngineResult<PutResult[]>(command.Status);
        _core.Return(command);
        return result;
    }

    /// <summary>
    /// Opens a streaming reservation (Reserve) over <paramref name="topics"/> holding at most
    /// <paramref name="prefetch"/> jobs at once (0 = 1). Dispose the stream to end it.
    /// </summary>
    public async ValueTask<EngineResult<ReservationStream>> OpenReservationStreamAsync(IReadOnlyList<string> topics, uint prefetch = 1)
    {
        var status = RequestRules.CheckTopics(topics, "topics", _options.MaxTopicsPerReserve);
        if (!status.IsOk)
        {
            return new(status);
        }

        if (prefetch > (uint)_options.MaxPrefetch)
        {
            return new(EngineStatus.Invalid($"prefetch must be at most {_options.MaxPrefetch}"));
        }

        var waiter = new StreamWaiter((int)Math.Max(prefetch, 1));
        var command = _core.Rent(CommandKind.OpenStream);
        command.Stream = waiter;
        command.TopicNames = topics.ToArray();
        await _core.Post(command).ConfigureAwait(false);
        status = command.Status;
        _core.Return(command);
        return status.IsOk ? new(new ReservationStream(_core, waiter)) : new(status);
    }

    /// <summary>
    /// Reserves one job (ReserveOne), waiting at most <paramref name="timeout"/> (zero = poll). The
    /// value is null on time-out, and also when <paramref name="cancellationToken"/> ends the wait.
    /// </summary>
    public ValueTask<EngineResult<ReservedJob?>> ReserveOneAsync(IReadOnlyList<string> topics, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var status = RequestRules.CheckTopics(topics, "topics", _options.MaxTopicsPerReserve);
        if (!status.IsOk || !(status = RequestRules.CheckSpan(timeout, "timeout", _options.MaxDelay)).IsOk)
        {
            return ValueTask.FromResult(new EngineResult<ReservedJob?>(status));
        }

        var command = _core.Rent(CommandKind.ReserveOne);
        command.TopicNames = topics;
        command.DurationMs = RequestRules.ToMs(timeout);
        var version = command.Version;
        if (cancellationToken.CanBeCanceled && command.DurationMs > 0)
        {
            command.Registration = cancellationToken.UnsafeRegister(static (state, _) => ((ChronoqEngine)((object[])state!)[0]).CancelReserveOne((EngineCommand)((object[])state!)[1], (short)((object[])state!)[2]), new object[] { this, command, version });
        }

        var task = command.AsReserveTask();
        _core.Enqueue(command);
        return task;
    }

    /// <summary>Reserves one given READY, DELAYED or BURIED job now (ReserveJob); FAILED_PRECONDITION if already reserved.</summary>
    public async ValueTask<EngineResult<ReservedJob>> ReserveJobAsync(ulong id)
    {
        var command = _core.Rent(CommandKind.ReserveJob);
        command.Id = id;
        await _core.Post(command).ConfigureAwait(false);
        var result = command.Status.IsOk ? new EngineResult<ReservedJob>(command.Reserved!.Value) : new EngineResult<ReservedJob>(command.Status);
        _core.Return(command);
        return result;
    }

    /// <summary>
    /// Deletes a job (Delete). A RESERVED job needs its current <paramref name="reservation"/>; a
    /// non-zero reservation that is not current is FAILED_PRECONDITION in every state.
    /// </summary>
    public ValueTask<EngineStatus> DeleteAsync(ulong id, ulong reservation = 0)
    {
        var command = _core.Rent(CommandKind.Delete);
        command.Id = id;
        command.Reservation = reservation;
        var task = command.AsStatusTask();
        _core.Enqueue(command);
        return task;
    }

    /// <summary>
    /// Many deletes in one commit (DeleteBatch): each item answered as Delete alone would answer it.
    /// The call itself fails only as a whole (UNAVAILABLE, or too many items).
    /// </summary>
    public async ValueTask<EngineResult<EngineStatus[]>> DeleteBatchAsync(IReadOnlyList<DeleteTarget> jobs)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        if (jobs.Count > _options.MaxBatchItems)
        {
            return new(EngineStatus.Exhausted($"jobs holds more than {_options.MaxBatchItems} items"));
        }

        var command = _core.Rent(CommandKind.DeleteBatch);
        command.Targets = jobs;
        await _core.Post(command).ConfigureAwait(false);
        var result = command.Status.IsOk ? new EngineResult<EngineStatus[]>(command.Statuses!) : new EngineResult<EngineStatus[]>(command.Status);
        _core.Return(command);
        return result;
    }

    /// <summary>Cancels a live job by business key (DeleteByKey); NOT_FOUND if none, FAILED_PRECONDITION while reserved.</summary>
    public async ValueTask<EngineStatus> DeleteByKeyAsync(string topic, string key)
    {
        var status = RequestRules.CheckTopic(topic, "topic");
        if (!status.IsOk)
        {
            return status;
        }

        if (string.IsNullOrEmpty(key))
        {
            return EngineStatus.Invalid("key is required");
        }

        var command = _core.Rent(CommandKind.DeleteByKey);
        command.TopicName = topic;
        command.Key = key;
        await _core.Post(command).ConfigureAwait(false);
        status = command.Status;
        _core.Return(command);
        return status;
    }

    /// <summary>Returns a reserved job to READY, or DELAYED when <paramref name="delay"/> &gt; 0 (Release); keeps its priority unless given.</summary>
    public async ValueTask<EngineStatus> ReleaseAsync(ulong id, ulong reservation, uint? priority = null, TimeSpan delay = default)
    {
        var status = RequestRules.CheckSpan(delay, "delay", _options.MaxDelay);
        if (!status.IsOk)
        {
            return status;
        }

        var command = _core.Rent(CommandKind.Release);
        command.Id = id;
        command.Reservation = reservation;
        command.Priority = priority;
        command.DurationMs = RequestRules.ToMs(delay);
        await _core.Post(command).ConfigureAwait(false);
        status = command.Status;
        _core.Return(command);
        return status;
    }

    /// <summary>Moves a reserved job to BURIED (Bury); keeps its priority unless given.</summary>
    public async ValueTask<EngineStatus> BuryAsync(ulong id, ulong reservation, uint? priority = null)
    {
        var command = _core.Rent(CommandKind.Bury);
        command.Id = id;
        command.Reservation = reservation;
        command.Priority = priority;
        await _core.Post(command).ConfigureAwait(false);
        var status = command.Status;
        _core.Return(command);
        Telemetry.EngineMetrics.RecordBuryIf(status.IsOk);
        return status;
    }

    /// <summary>Restarts a reserved job's TTR (Touch) and returns the new deadline; re-arms deadline_soon.</summary>
    public async ValueTask<EngineResult<DateTimeOffset>> TouchAsync(ulong id, ulong reservation)
    {
        var command = _core.Rent(CommandKind.Touch);
        command.Id = id;
        command.Reservation = reservation;
        await _core.Post(command).ConfigureAwait(false);
        var result = command.Status.IsOk ? new EngineResult<DateTimeOffset>(command.Deadline) : new EngineResult<DateTimeOffset>(command.Status);
        _core.Return(command);
        return result;
    }

    /// <summary>Moves up to <paramref name="bound"/> BURIED jobs (oldest buried first) to READY, or if none are buried, DELAYED jobs (soonest first) (Kick).</summary>
    public async ValueTask<EngineResult<uint>> KickAsync(string topic, uint bound)
    {
        var status = RequestRules.CheckTopic(topic, "topic");
        if (!status.IsOk)
        {
            return new(status);
        }

        var command = _core.Rent(CommandKind.Kick);
        command.TopicName = topic;
        command.Bound = bound;
        await _core.Post(command).ConfigureAwait(false);
        var result = command.Status.IsOk ? new EngineResult<uint>(command.Kicked) : new EngineResult<uint>(command.Status);
        _core.Return(command);
        return result;
    }

    /// <summary>Moves one BURIED or DELAYED job to READY (KickJob); FAILED_PRECONDITION for READY or RESERVED.</summary>
    public async ValueTask<EngineStatus> KickJobAsync(ulong id)
    {
        var command = _core.Rent(CommandKind.KickJob);
        command.Id = id;
        await _core.Post(command).ConfigureAwait(false);
        var status = command.Status;
        _core.Return(command);
        return status;
    }

    /// <summary>The job with its state and counters (Peek).</summary>
    public async ValueTask<EngineResult<JobInfo>> PeekAsync(ulong id)
    {
        var command = _core.Rent(CommandKind.Peek);
        command.Id = id;
        await _core.Post(command).ConfigureAwait(false);
        var result = command.Status.IsOk ? new EngineResult<JobInfo>(command.Info) : new EngineResult<JobInfo>(command.Status);
        _core.Return(command);
        return result;
    }

    /// <summary>
    /// The topic of the live job with this id, or null when there is none. Cheaper than
    /// <see cref="PeekAsync"/> for authorization: no snapshot, and never a body read back from the store.
    /// </summary>
    public async ValueTask<string?> TopicOfAsync(ulong id)
    {
        var command = _core.Rent(CommandKind.TopicOf);
        command.Id = id;
        await _core.Post(command).ConfigureAwait(false);
        var topic = command.TopicName;
        _core.Return(command);
        return topic;
    }

    /// <summary>The next READY (most urgent), DELAYED (soonest) or BURIED (oldest) job of a topic (PeekNext); NOT_FOUND if none.</summary>
    public async ValueTask<EngineResult<JobInfo>> PeekNextAsync(string topic, JobState state)
    {
        var status = RequestRules.CheckTopic(topic, "topic");
        if (!status.IsOk)
        {
            return new(status);
        }

        if (state is not (JobState.Ready or JobState.Delayed or JobState.Buried))
        {
            return new(EngineStatus.Invalid("state must be JOB_STATE_READY, JOB_STATE_DELAYED or JOB_STATE_BURIED"));
        }

        var command = _core.Rent(CommandKind.PeekNext);
        command.TopicName = topic;
        command.State = state;
        await _core.Post(command).ConfigureAwait(false);
        var result = command.Status.IsOk ? new EngineResult<JobInfo>(command.Info) : new EngineResult<JobInfo>(command.Status);
        _core.Return(command);
        return result;
    }

    /// <summary>Counters of one topic (GetTopicStats); an unknown topic reports zeros.</summary>
    public async ValueTask<EngineResult<TopicStats>> GetTopicStatsAsync(string topic)
    {
        var status = RequestRules.CheckTopic(topic, "topic");
        if (!status.IsOk)
        {
            return new(status);
        }

        var command = _core.Rent(CommandKind.TopicStats);
        command.TopicName = topic;
        await _core.Post(command).ConfigureAwait(false);
        var result = command.Status.IsOk ? new EngineResult<TopicStats>(command.TopicStats!) : new EngineResult<TopicStats>(command.Status);
        _core.Return(command);
        return result;
    }

    /// <summary>Counters of every known topic (ListTopics), in order of first use.</summary>
    public async ValueTask<EngineResult<TopicStats[]>> ListTopicsAsync()
    {
        var command = _core.Rent(CommandKind.ListTopics);
        await _core.Post(command).ConfigureAwait(false);
        var result = command.Status.IsOk ? new EngineResult<TopicStats[]>(command.TopicList!) : new EngineResult<TopicStats[]>(command.Status);
        _core.Return(command);
        return result;
    }

    /// <summary>Server-wide counters (GetServerStats).</summary>
    public async ValueTask<EngineResult<ServerStats>> GetServerStatsAsync()
    {
        var command = _core.Rent(CommandKind.ServerStats);
        await _core.Post(command).ConfigureAwait(false);
        var result = command.Status.IsOk ? new EngineResult<ServerStats>(command.ServerStats!) : new EngineResult<ServerStats>(command.Status);
        _core.Return(command);
        return result;
    }

    /// <summary>Pauses a topic (PauseTopic): no job of it is reserved until the pause ends; zero ends a pause at once.</summary>
    public async ValueTask<EngineStatus> PauseTopicAsync(string topic, TimeSpan duration)
    {
        var status = RequestRules.CheckTopic(topic, "topic");
        if (!status.IsOk || !(status = RequestRules.CheckSpan(duration, "duration", _options.MaxDelay)).IsOk)
        {
            return status;
        }

        var command = _core.Rent(CommandKind.PauseTopic);
        command.TopicName = topic;
        command.DurationMs = RequestRules.ToMs(duration);
        await _core.Post(command).ConfigureAwait(false);
        status = command.Status;
        _core.Return(command);
        return status;
    }

    /// <summary>
    /// Stops the engine: pending and later callers get UNAVAILABLE, streams end. Does not dispose the store.
    /// </summary>
    public ValueTask DisposeAsync() => new(_core.StopAsync());

    private void CancelReserveOne(EngineCommand target, short version)
    {
        var command = new EngineCommand(true) { Kind = CommandKind.CancelReserveOne, Target = target, TargetVersion = version };
        _core.TryPostOneWay(command);
    }
}
