using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Chronoq.Protocol.Grpc;
using Chronoq.Protocol.V1;
using Chronoq.Sdk.Internal;
using Chronoq.Sdk.Transport;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Logging;

namespace Chronoq.Sdk;

/// <summary>
/// The Chronoq client: every RPC of <c>chronoq.v1.Chronoq</c>, async and cancellable. Thread-safe;
/// create one per server and share it (connections are pooled).
/// </summary>
/// <remarks>
/// <para>Failures surface as <see cref="RpcException"/> with the server's status (NOT_FOUND,
/// FAILED_PRECONDITION, ...); an unreachable server as UNAVAILABLE; a call past
/// <see cref="ChronoqClientOptions.DefaultDeadline"/> as DEADLINE_EXCEEDED; a cancelled token as
/// <see cref="OperationCanceledException"/>. Expected misses are return values: a Peek of an
/// unknown id returns null, ReserveOne that times out returns null, DeleteByKey with no live
/// job returns false.</para>
/// <para>Retries: calls whose repetition cannot change the outcome are retried on UNAVAILABLE with
/// exponential backoff and full jitter, within the deadline: Put and PutBatch when every job has
/// a key (the key makes a repeated put return the first one's id); Delete and DeleteBatch (ids are
/// never reused, so NOT_FOUND on a retry means the first try deleted it, and is taken as
/// success); Touch; Peek, PeekNext and the stats calls; PauseTopic. Not retried, because a lost
/// answer would make a repeat do something else: Put and PutBatch without keys (the job would be
/// created twice), Release, Bury, Kick, KickJob, DeleteByKey, ReserveOne and ReserveJob. The
/// Reserve stream is not resumed by the client; the worker host reconnects it.</para>
/// </remarks>
public sealed class ChronoqClient : IAsyncDisposable, IDisposable
{
    private readonly PutCoalescer? _puts;
    private readonly DeleteCoalescer? _deletes;
    private int _disposed;

    /// <summary>Creates a client for <paramref name="options"/> (validated here), or <see cref="ChronoqClientOptions.Default"/>.</summary>
    public ChronoqClient(ChronoqClientOptions? options = null)
    {
        options ??= ChronoqClientOptions.Default;
        options.Validate();
        Options = options;
        Logger = options.LoggerFactory.CreateLogger<ChronoqClient>();
        Channel = ChronoqChannel.ForAddress(options.Address, options.ToChannelOptions());
        if (options.EnableBatching)
        {
            _puts = new PutCoalescer(this, options);
            _deletes = new DeleteCoalescer(this, options);
        }
    }

    /// <summary>Creates a client for the server at <paramref name="address"/>, e.g. <c>http://127.0.0.1:50051</c>, with default settings.</summary>
    public ChronoqClient(string address)
        : this(ChronoqClientOptions.Default with { Address = new Uri(address, UriKind.Absolute) })
    {
    }

    /// <summary>The client's settings.</summary>
    public ChronoqClientOptions Options { get; }

    internal ChronoqChannel Channel { get; }

    internal ILogger Logger { get; }

    /// <summary>How many PutBatch-or-Put calls the put coalescer has sent (0 with batching off); for diagnostics.</summary>
    public long PutBatchesSent => _puts?.BatchesSent ?? 0;

    /// <summary>How many DeleteBatch-or-Delete calls the delete coalescer has sent (0 with batching off); for diagnostics.</summary>
    public long DeleteBatchesSent => _deletes?.BatchesSent ?? 0;

    /// <summary>A typed view of <paramref name="topic"/> whose bodies are <typeparamref name="T"/> as JSON, read and written through <paramref name="typeInfo"/> (e.g. from a source-generated <c>JsonSerializerContext</c>).</summary>
    public ChronoqTopic<T> Topic<T>(string topic, JsonTypeInfo<T> typeInfo) => new(this, topic, typeInfo);

    /// <summary>A typed view of <paramref name="topic"/> whose bodies are <typeparamref name="T"/> as JSON, with reflection-based System.Text.Json (<paramref name="serializerOptions"/> or the web defaults).</summary>
    [RequiresUnreferencedCode("Reflection-based JSON; use the JsonTypeInfo<T> overload with a source-generated context for trimming.")]
    [RequiresDynamicCode("Reflection-based JSON; use the JsonTypeInfo<T> overload with a source-generated context for native AOT.")]
    public ChronoqTopic<T> Topic<T>(string topic, JsonSerializerOptions? serializerOptions = null)
    {
        serializerOptions ??= JsonSerializerOptions.Web;
        return new(this, topic, (JsonTypeInfo<T>)serializerOptions.GetTypeInfo(typeof(T)));
    }

    /// <summary>Puts a job on <paramref name="topic"/>; see <see cref="PutOptions"/> for scheduling, TTR, key and headers.</summary>
    public Task<PutResult> PutAsync(string topic, ReadOnlyMemory<byte> body, PutOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(topic);

        // The caller keeps its memory: the request needs a copy of its own.
        return PutAsync(BuildPut(topic, ByteString.CopyFrom(body.Span), options ?? PutOptions.Default), cancellationToken);
    }

    /// <summary>
    /// Puts a job described by the wire message. Concurrent puts are coalesced into PutBatch calls
    /// (see <see cref="ChronoqClientOptions.EnableBatching"/>), each caller getting its own result
    /// or error. Adds <c>traceparent</c> to the headers when a trace is active. A cancelled put
    /// that had already left may still be created.
    /// </summary>
    public Task<PutResult> PutAsync(PutRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Volatile.Read(ref _disposed) != 0)
        {
            return Task.FromException<PutResult>(new ObjectDisposedException(GetType().FullName));
        }

        if (PutValidation.Check(request) is { } invalid)
        {
            return Task.FromException<PutResult>(invalid);
        }

        // Without a listener there is no activity to record the outcome on, so the put is handed
        // straight to the coalescer: no async frame of its own (a put's CPU is mostly such frames).
        if (ChronoqTelemetry.Source.HasListeners())
        {
            return PutTracedAsync(request, cancellationToken);
        }

        TraceContext.Inject(Activity.Current, request.Headers);
        return Send(request, cancellationToken);
    }

    /// <summary>Puts many jobs all-or-nothing in one call and one commit; results in request order. Retried on UNAVAILABLE only when every job has a key.</summary>
    public async Task<IReadOnlyList<PutResult>> PutBatchAsync(IEnumerable<PutRequest> jobs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        var request = new PutBatchRequest();
        var idempotent = true;
        foreach (var job in jobs)
        {
            TraceContext.Inject(Activity.Current, job.Headers);
            request.Jobs.Add(job);
            idempotent &= job.Key.Length > 0;
        }

        var response = await InvokeAsync(ChronoqMethods.PutBatch, request, idempotent, cancellationToken).ConfigureAwait(false);
        return response.Results.Select(static result => new PutResult(result.Id, result.Created)).ToArray();
    }

    /// <summary>
    /// Reserves jobs from <paramref name="topics"/> as they become ready, over one Reserve stream,
    /// until <paramref name="cancellationToken"/> is cancelled or the stream fails
    /// (<see cref="RpcException"/>). Settle each job (delete, release, bury) before moving on or
    /// while the loop runs: leaving the loop ends the stream, and the server returns every job
    /// still held through it to READY.
    /// </summary>
    public async IAsyncEnumerable<ReservedJobHandle> ReserveAsync(IReadOnlyList<string> topics, ReserveOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var stream = OpenReserveStream(topics, options ?? ReserveOptions.Default);
        while (true)
        {
            ReservedJobHandle handle;
            try
            {
                if (!await stream.Jobs.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    yield break;
                }

                if (!stream.Jobs.TryRead(out handle!))
                {
                    continue;
                }
            }
            catch (RpcException exception) when (exception.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(cancellationToken);
            }

            yield return handle;
        }
    }

    /// <summary>Reserves jobs from one topic; see <see cref="ReserveAsync(IReadOnlyList{string}, ReserveOptions?, CancellationToken)"/>.</summary>
    public IAsyncEnumerable<ReservedJobHandle> ReserveAsync(string topic, ReserveOptions? options = null, CancellationToken cancellationToken = default) =>
        ReserveAsync([topic], options, cancellationToken);

    /// <summary>Reserves one job, waiting at most <paramref name="timeout"/> (zero polls); null when none became ready in time.</summary>
    public async Task<ReservedJobHandle?> ReserveOneAsync(IReadOnlyList<string> topics, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(topics);
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        var request = new ReserveOneRequest { Timeout = Duration.FromTimeSpan(timeout) };
        request.Topics.Add(topics);

        // The wait itself must not count against the call's deadline.
        var response = await InvokeAsync(ChronoqMethods.ReserveOne, request, idempotent: false, cancellationToken, extraTime: timeout).ConfigureAwait(false);
        return response.Job is null ? null : new ReservedJobHandle(this, response.Job, stream: null);
    }

    /// <summary>Reserves one job from one topic; see <see cref="ReserveOneAsync(IReadOnlyList{string}, TimeSpan, CancellationToken)"/>.</summary>
    public Task<ReservedJobHandle?> ReserveOneAsync(string topic, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        ReserveOneAsync([topic], timeout, cancellationToken);

    /// <summary>Reserves the given READY, DELAYED or BURIED job now (e.g. to inspect a buried one); FAILED_PRECONDITION if it is reserved.</summary>
    public async Task<ReservedJobHandle> ReserveJobAsync(ulong id, CancellationToken cancellationToken = default)
    {
        var reserved = await InvokeAsync(ChronoqMethods.ReserveJob, new ReserveJobRequest { Id = id }, idempotent: false, cancellationToken).ConfigureAwait(false);
        return new ReservedJobHandle(this, reserved, stream: null);
    }

    /// <summary>
    /// Deletes a job; a RESERVED job needs its <paramref name="reservation"/>. Concurrent deletes
    /// are coalesced into DeleteBatch calls, each caller getting its own answer.
    /// </summary>
    public Task DeleteAsync(ulong id, ulong reservation = 0, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var request = new DeleteRequest { Id = id, Reservation = reservation };
        return _deletes is not null
            ? _deletes.EnqueueAsync(request, cancellationToken)
            : DeleteDirectAsync(request, cancellationToken);
    }

    /// <summary>Many deletes in one call and one commit; one status per job, in request order (OK = deleted).</summary>
    public async Task<IReadOnlyList<RpcStatus>> DeleteBatchAsync(IEnumerable<DeleteRequest> jobs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        var request = new DeleteBatchRequest();
        request.Jobs.Add(jobs);
        var response = await InvokeAsync(ChronoqMethods.DeleteBatch, request, idempotent: false, cancellationToken).ConfigureAwait(false);
        return response.Results.Select(static result => new RpcStatus((StatusCode)result.Code, result.Message)).ToArray();
    }

    /// <summary>Cancels the live job with <paramref name="key"/> on <paramref name="topic"/>; false when no live job has it. FAILED_PRECONDITION while the job is reserved.</summary>
    public async Task<bool> DeleteByKeyAsync(string topic, string key, CancellationToken cancellationToken = default)
    {
        try
        {
            await InvokeAsync(ChronoqMethods.DeleteByKey, new DeleteByKeyRequest { Topic = topic, Key = key }, idempotent: false, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RpcException exception) when (exception.StatusCode == StatusCode.NotFound)
        {
            return false;
        }
    }

    /// <summary>Returns a reserved job to READY, or DELAYED for <paramref name="delay"/>; keeps its priority unless <paramref name="priority"/> is given.</summary>
    public Task ReleaseAsync(ulong id, ulong reservation, TimeSpan? delay = null, uint? priority = null, CancellationToken cancellationToken = default)
    {
        var request = new ReleaseRequest { Id = id, Reservation = reservation };
        if (delay is { } wait && wait > TimeSpan.Zero)
        {
            request.Delay = Duration.FromTimeSpan(wait);
        }

        if (priority is { } value)
        {
            request.Priority = value;
        }

        return InvokeAsync(ChronoqMethods.Release, request, idempotent: false, cancellationToken).AsTask();
    }

    /// <summary>Moves a reserved job to BURIED; keeps its priority unless <paramref name="priority"/> is given.</summary>
    public Task BuryAsync(ulong id, ulong reservation, uint? priority = null, CancellationToken cancellationToken = default)
    {
        var request = new BuryRequest { Id = id, Reservation = reservation };
        if (priority is { } value)
        {
            request.Priority = value;
        }

        return InvokeAsync(ChronoqMethods.Bury, request, idempotent: false, cancellationToken).AsTask();
    }

    /// <summary>Restarts a reserved job's TTR; returns the new deadline.</summary>
    public async Task<DateTimeOffset> TouchAsync(ulong id, ulong reservation, CancellationToken cancellationToken = default)
    {
        var response = await InvokeAsync(ChronoqMethods.Touch, new TouchRequest { Id = id, Reservation = reservation }, idempotent: true, cancellationToken).ConfigureAwait(false);
        return response.Deadline?.ToDateTimeOffset() ?? DateTimeOffset.MaxValue;
    }

    /// <summary>Moves up to <paramref name="bound"/> BURIED jobs (oldest first) to READY, or if none is buried up to <paramref name="bound"/> DELAYED ones; returns how many moved.</summary>
    public async Task<uint> KickAsync(string topic, uint bound, CancellationToken cancellationToken = default)
    {
        var response = await InvokeAsync(ChronoqMethods.Kick, new KickRequest { Topic = topic, Bound = bound }, idempotent: false, cancellationToken).ConfigureAwait(false);
        return response.Kicked;
    }

    /// <summary>Moves one BURIED or DELAYED job to READY; FAILED_PRECONDITION for a READY or RESERVED job.</summary>
    public Task KickJobAsync(ulong id, CancellationToken cancellationToken = default) =>
        InvokeAsync(ChronoqMethods.KickJob, new KickJobRequest { Id = id }, idempotent: false, cancellationToken).AsTask();

    /// <summary>The job with its state and counters; null when no job has <paramref name="id"/>.</summary>
    public async Task<Job?> PeekAsync(ulong id, CancellationToken cancellationToken = default)
    {
        try
        {
            var response = await InvokeAsync(ChronoqMethods.Peek, new PeekRequest { Id = id }, idempotent: true, cancellationToken).ConfigureAwait(false);
            return response.Job;
        }
        catch (RpcException exception) when (exception.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>The next READY (most urgent), DELAYED (soonest) or BURIED (oldest) job of <paramref name="topic"/>; null when there is none.</summary>
    public async Task<Job?> PeekNextAsync(string topic, JobState state, CancellationToken cancellationToken = default)
    {
        try
        {
            var response = await InvokeAsync(ChronoqMethods.PeekNext, new PeekNextRequest { Topic = topic, State = state }, idempotent: true, cancellationToken).ConfigureAwait(false);
            return response.Job;
        }
        catch (RpcException exception) when (exception.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>The counters of one topic (zeros for a topic with no jobs).</summary>
    public Task<TopicStats> GetTopicStatsAsync(string topic, CancellationToken cancellationToken = default) =>
        InvokeAsync(ChronoqMethods.GetTopicStats, new GetTopicStatsRequest { Topic = topic }, idempotent: true, cancellationToken).AsTask();

    /// <summary>The counters of every known topic.</summary>
    public async Task<IReadOnlyList<TopicStats>> ListTopicsAsync(CancellationToken cancellationToken = default)
    {
        var response = await InvokeAsync(ChronoqMethods.ListTopics, new ListTopicsRequest(), idempotent: true, cancellationToken).ConfigureAwait(false);
        return response.Topics;
    }

    /// <summary>Server-wide counters, version and storage kind.</summary>
    public Task<ServerStats> GetServerStatsAsync(CancellationToken cancellationToken = default) =>
        InvokeAsync(ChronoqMethods.GetServerStats, new GetServerStatsRequest(), idempotent: true, cancellationToken).AsTask();

    /// <summary>No job of <paramref name="topic"/> is reserved for <paramref name="duration"/>; zero ends a pause at once.</summary>
    public Task PauseTopicAsync(string topic, TimeSpan duration, CancellationToken cancellationToken = default) =>
        InvokeAsync(ChronoqMethods.PauseTopic, new PauseTopicRequest { Topic = topic, Duration = Duration.FromTimeSpan(duration) }, idempotent: true, cancellationToken).AsTask();

    /// <summary>Sends the puts and deletes still queued, then closes the connections.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_puts is not null)
        {
            await _puts.DisposeAsync().ConfigureAwait(false);
        }

        if (_deletes is not null)
        {
            await _deletes.DisposeAsync().ConfigureAwait(false);
        }

        Channel.Dispose();
    }

    /// <summary>Like <see cref="DisposeAsync"/>, blocking.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    internal ReserveStream OpenReserveStream(IReadOnlyList<string> topics, ReserveOptions options)
    {
        ArgumentNullException.ThrowIfNull(topics);
        ThrowIfDisposed();
        if (topics.Count == 0)
        {
            throw new ArgumentException("At least one topic is needed.", nameof(topics));
        }

        foreach (var topic in topics)
        {
            PutValidation.ThrowIfInvalidTopic(topic, nameof(topics));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(options.Prefetch, 1, "ReserveOptions.Prefetch");
        var request = new ReserveRequest { Prefetch = (uint)options.Prefetch };
        request.Topics.Add(topics);
        return new ReserveStream(this, request, options.AutoTouch);
    }

    internal async Task DeleteDirectAsync(DeleteRequest request, CancellationToken cancellationToken)
    {
        var retried = false;
        try
        {
            await InvokeAsync(ChronoqMethods.Delete, request, idempotent: true, cancellationToken, onRetry: () => retried = true).ConfigureAwait(false);
        }
        catch (RpcException exception) when (exception.StatusCode == StatusCode.NotFound && retried)
        {
            // Ids are never reused: NOT_FOUND after a try whose answer was lost means that try deleted it.
        }
    }

    /// <summary>The wire message of a put; <paramref name="body"/> is used as is, not copied.</summary>
    internal static PutRequest BuildPut(string topic, ByteString body, PutOptions options)
    {
        ArgumentNullException.ThrowIfNull(topic);
        var request = new PutRequest
        {
            Topic = topic,
            Body = body,
            Priority = options.Priority,
            Key = options.Key ?? string.Empty,
        };
        if (options.Delay is { } delay)
        {
            request.Delay = Duration.FromTimeSpan(delay);
        }
        else if (options.RunAt is { } runAt)
        {
            request.RunAt = Timestamp.FromDateTimeOffset(runAt);
        }

        if (options.Ttr is { } ttr)
        {
            request.Ttr = Duration.FromTimeSpan(ttr);
        }

        if (options.Headers is { } headers)
        {
            foreach (var (name, value) in headers)
            {
                request.Headers[name] = value;
            }
        }

        return request;
    }

    /// <summary>
    /// One unary call with the default deadline (covering every try), retried on UNAVAILABLE with
    /// backoff when <paramref name="idempotent"/>; a cancelled token surfaces as
    /// <see cref="OperationCanceledException"/>. Await it exactly once: its state machine comes
    /// from a pool rather than being allocated per call.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    internal async ValueTask<TResponse> InvokeAsync<TRequest, TResponse>(
        RpcMethod<TRequest, TResponse> method,
        TRequest request,
        bool idempotent,
        CancellationToken cancellationToken,
        Action? onRetry = null,
        TimeSpan extraTime = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();
        var timeProvider = Options.TimeProvider;
        DateTimeOffset? deadline = Options.DefaultDeadline == Timeout.InfiniteTimeSpan ? null : timeProvider.GetUtcNow() + Options.DefaultDeadline + extraTime;
        var callOptions = new CallOptions { Deadline = deadline, CancellationToken = cancellationToken };
        var maxAttempts = idempotent ? Options.MaxCallAttempts : 1;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await Channel.CallUnaryAsync(method, request, callOptions).ConfigureAwait(false);
            }
            catch (RpcException exception) when (exception.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(exception.Message, exception, cancellationToken);
            }
            catch (RpcException exception) when (exception.StatusCode == StatusCode.Unavailable && attempt + 1 < maxAttempts)
            {
                var backoff = Backoff.Next(attempt, Options.RetryInitialBackoff, Options.RetryMaxBackoff);
                if (deadline is { } end && timeProvider.GetUtcNow() + backoff >= end)
                {
                    throw;
                }

                SdkLog.RetryingCall(Logger, method.Name, attempt + 1, backoff);
                await Task.Delay(backoff, timeProvider, cancellationToken).ConfigureAwait(false);
                onRetry?.Invoke();
            }
        }
    }

    private Task<PutResult> Send(PutRequest request, CancellationToken cancellationToken) =>
        _puts is not null ? _puts.EnqueueAsync(request, cancellationToken) : PutDirectAsync(request, cancellationToken);

    private async Task<PutResult> PutTracedAsync(PutRequest request, CancellationToken cancellationToken)
    {
        using var activity = ChronoqTelemetry.Source.StartActivity(request.Topic + " publish", ActivityKind.Producer);
        TraceContext.Inject(Activity.Current, request.Headers);
        if (activity is not null)
        {
            activity.SetTag("messaging.system", "chronoq");
            activity.SetTag("messaging.operation.type", "send");
            activity.SetTag("messaging.destination.name", request.Topic);
        }

        try
        {
            var result = await Send(request, cancellationToken).ConfigureAwait(false);
            activity?.SetTag("messaging.message.id", result.Id);
            return result;
        }
        catch (Exception exception) when (activity is not null)
        {
            activity.SetStatus(ActivityStatusCode.Error, exception.Message);
            throw;
        }
    }

    private async Task<PutResult> PutDirectAsync(PutRequest request, CancellationToken cancellationToken)
    {
        var response = await InvokeAsync(ChronoqMethods.Put, request, request.Key.Length > 0, cancellationToken).ConfigureAwait(false);
        return new PutResult(response.Id, response.Created);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
