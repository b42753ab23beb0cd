using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Chronoq.Protocol.Grpc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Chronoq.Sdk.Internal;

/// <summary>
/// A hosted worker: one Reserve stream on a topic (reconnected with backoff when it fails),
/// up to <see cref="ChronoqWorkerOptions.Concurrency"/> handlers at once, each job acknowledged,
/// released with backoff, or buried after its last attempt; and a graceful stop.
/// </summary>
/// <remarks>
/// Stopping starts no more handlers but keeps the stream open while the running ones finish
/// (closing it would hand their jobs back under them), then closes it: the server returns every
/// job the stream still holds — reserved but never started, or whose handler was abandoned —
/// to READY at once. Releasing them one by one while the stream is open would not do: each
/// release frees a slot, and the server would deliver the same job straight back.
/// </remarks>
internal sealed class ChronoqWorker<THandler, T> : IHostedService, IAsyncDisposable
    where THandler : class, IChronoqJobHandler<T>
{
    private readonly ChronoqClient _client;
    private readonly IServiceScopeFactory _scopes;
    private readonly string _topic;
    private readonly JsonTypeInfo<T> _typeInfo;
    private readonly ChronoqWorkerOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _slots;

    // Completed when stopping and no handler (or its acknowledgement) is running any more.
    private readonly TaskCompletionSource _handlersDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _abandon = new();
    private Task _run = Task.CompletedTask;
    private long _received;

    // Jobs taken from the stream whose handling (acknowledgement included) has not finished, plus
    // one for the consume loop itself until it has stopped for good: a counter rather than a set of
    // tasks, which cost a lock and a continuation per job. Counting the loop means the count can
    // reach zero only once no handler can start any more (a loop that took a job just as the last
    // running handler finished would otherwise start it after shutdown had stopped waiting).
    private int _running = 1;

    public ChronoqWorker(ChronoqClient client, IServiceScopeFactory scopes, string topic, JsonTypeInfo<T> typeInfo, ChronoqWorkerOptions options, ILogger logger)
    {
        _client = client;
        _scopes = scopes;
        _topic = topic;
        _typeInfo = typeInfo;
        _options = options;
        _logger = logger;
        _slots = new SemaphoreSlim(options.Concurrency, options.Concurrency);
    }

    /// <summary>The topic this worker consumes.</summary>
    public string Topic => _topic;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _run = Task.Run(RunAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _run.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host ran out of patience before our own shutdown timeout: abandon the handlers.
            await _abandon.CancelAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _stopping.Dispose();
        _abandon.Dispose();
        _slots.Dispose();
    }

    private async Task RunAsync()
    {
        var failures = 0;
        while (!_stopping.IsCancellationRequested)
        {
            var stream = _client.OpenReserveStream([_topic], new ReserveOptions { Prefetch = _options.EffectivePrefetch, AutoTouch = _options.AutoTouch });
            await using (stream.ConfigureAwait(false))
            {
                Exception? failure;
                try
                {
                    failure = await ConsumeAsync(stream).ConfigureAwait(false);
                    if (failure is null)
                    {
                        await DrainAsync(stream).ConfigureAwait(false);
                        return;
                    }
                }
                catch (Exception exception)
                {
                    failure = exception;
                }

                // A stream that delivered jobs was a working connection: the next failure starts the backoff afresh.
                if (Interlocked.Exchange(ref _received, 0) > 0)
                {
                    failures = 0;
                }

                var backoff = Backoff.Next(failures++, _options.ReconnectInitialBackoff, _options.ReconnectMaxBackoff);
                SdkLog.ReserveStreamFailed(_logger, _topic, backoff, failure);
                try
                {
                    await Task.Delay(backoff, _client.Options.TimeProvider, _stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Stopping while waiting to reconnect: the handlers still running get their drain below.
                }
            }
        }

        await WaitForHandlersAsync().ConfigureAwait(false);
    }

    /// <summary>Starts handlers until stopping (null) or until the stream fails (the failure).</summary>
    private async Task<Exception?> ConsumeAsync(ReserveStream stream)
    {
        var reader = stream.Jobs;
        while (true)
        {
            try
            {
                await _slots.WaitAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return null;
            }

            ReservedJobHandle? handle;
            try
            {
                if (!await reader.WaitToReadAsync(_stopping.Token).ConfigureAwait(false))
                {
                    _slots.Release();
                    return new RpcException(StatusCode.Unavailable, "The server ended the Reserve stream.");
                }

                reader.TryRead(out handle);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                _slots.Release();
                return null;
            }
            catch (Exception exception)
            {
                _slots.Release();
                return exception;
            }

            if (handle is null)
            {
                _slots.Release();
                continue;
            }

            Interlocked.Increment(ref _received);
            Interlocked.Increment(ref _running);
            _ = ProcessThenFreeSlotAsync(handle);
        }
    }

    private async Task DrainAsync(ReserveStream stream)
    {
        var running = Volatile.Read(ref _running) - 1; // less the consume loop's own unit
        SdkLog.WorkerStopping(_logger, _topic, running, Math.Max(0, stream.Held.Count - running));
        await WaitForHandlersAsync().ConfigureAwait(false);

        // The caller closes the stream next, which returns whatever it still holds to READY.
    }

    /// <summary>
    /// Waits, within the shutdown timeout, for the running handlers; called exactly once, when the
    /// consume loop has stopped for good, and gives up the loop's unit of the count.
    /// </summary>
    private async Task WaitForHandlersAsync()
    {
        // Zero here: nothing runs. Otherwise the handler that takes the count to zero completes _handlersDone.
        if (Interlocked.Decrement(ref _running) == 0)
        {
            return;
        }

        var all = _handlersDone.Task;
        var timeProvider = _client.Options.TimeProvider;
        try
        {
            await all.WaitAsync(_options.ShutdownTimeout, timeProvider, _abandon.Token).ConfigureAwait(false);
            return;
        }
        catch (TimeoutException)
        {
            SdkLog.ShutdownTimedOut(_logger, _topic, Volatile.Read(ref _running));
        }
        catch (OperationCanceledException)
        {
            // Abandoned by the host.
        }

        await _abandon.CancelAsync().ConfigureAwait(false);

        // Cancelled handlers release their own jobs; give them a moment, but never hang shutdown on one that ignores its token.
        await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(5), timeProvider)).ConfigureAwait(false);
    }

    /// <summary>Runs one job's handler, frees its slot, then settles the job.</summary>
    private async Task ProcessThenFreeSlotAsync(ReservedJobHandle handle)
    {
        try
        {
            await Task.Yield();
            using var activity = StartActivity(handle);
            Func<ReservedJobHandle, Task>? settle;
            try
            {
                settle = await HandleAsync(handle, activity).ConfigureAwait(false);
            }
            finally
            {
                // The slot bounds running handlers, not acknowledgements: a handler that has finished
                // frees it before its Delete (or Release, Bury) returns, so the next job starts while
                // the acknowledgement rides a coalesced batch and its commit. Holding the slot through
                // the ack capped a worker at Concurrency jobs per commit. Acks in flight stay bounded
                // by the prefetch, and shutdown still waits for them (they count as running).
                _slots.Release();
            }

            if (settle is not null)
            {
                try
                {
                    await settle(handle).ConfigureAwait(false);
                }
                catch (Exception exception)
                {
                    SdkLog.SettleFailed(_logger, _topic, handle.Id, exception);
                }
            }
        }
        finally
        {
            // Zero only after the consume loop gave up its unit: no handler can start any more.
            if (Interlocked.Decrement(ref _running) == 0)
            {
                _handlersDone.TrySetResult();
            }
        }
    }

    private Activity? StartActivity(ReservedJobHandle handle)
    {
        // No listener, no activity: skip reading the producer's context and naming the span.
        if (!ChronoqTelemetry.Source.HasListeners())
        {
            return null;
        }

        var parent = TraceContext.Extract(handle.Headers);
        var activity = ChronoqTelemetry.Source.StartActivity(
            _topic + " process",
            ActivityKind.Consumer,
            parent,
            links: parent == default ? null : [new ActivityLink(parent)]);
        if (activity is not null)
        {
            activity.SetTag("messaging.system", "chronoq");
            activity.SetTag("messaging.operation.type", "process");
            activity.SetTag("messaging.destination.name", _topic);
            activity.SetTag("messaging.message.id", handle.Id);
            activity.SetTag("chronoq.job.attempt", handle.Attempt);
        }

        return activity;
    }

    /// <summary>Runs the handler; returns how to settle the job, or null when there is nothing to settle.</summary>
    private async Task<Func<ReservedJobHandle, Task>?> HandleAsync(ReservedJobHandle handle, Activity? activity)
    {
        T value;
        try
        {
            value = JsonSerializer.Deserialize(handle.Body.Span, _typeInfo)!;
        }
        catch (JsonException exception)
        {
            // A body that cannot be read will never be read: retrying is pointless, so it goes straight to the buried pile.
            SdkLog.JobUnreadable(_logger, _topic, handle.Id, typeof(T).Name, exception);
            RecordError(activity, exception);
            return Bury;
        }

        try
        {
            var scope = _scopes.CreateAsyncScope();
            await using (scope.ConfigureAwait(false))
            {
                var handler = scope.ServiceProvider.GetRequiredService<THandler>();
                await handler.HandleAsync(new ReservedJob<T>(handle, value), _abandon.Token).ConfigureAwait(false);
            }

            return handle.IsSettled ? null : Delete;
        }
        catch (OperationCanceledException) when (_abandon.IsCancellationRequested)
        {
            // Shutdown gave up on this handler: the job was not done. Closing the stream hands it
            // back for someone else, without the attempt counting as a failure.
            return null;
        }
        catch (Exception exception)
        {
            RecordError(activity, exception);
            if (handle.IsSettled)
            {
                return null;
            }

            if (handle.Attempt >= _options.MaxAttempts)
            {
                // The server keeps no error text with a job; the last error lives in this log entry
                // and on the job's activity, keyed by the job id.
                SdkLog.JobBuried(_logger, _topic, handle.Id, handle.Attempt, _options.MaxAttempts, exception.GetType().Name + ": " + exception.Message, exception);
                return Bury;
            }

            var delay = Backoff.Next(handle.Attempt - 1, _options.RetryInitialDelay, _options.RetryMaxDelay, floor: 0.5);
            SdkLog.JobRetrying(_logger, _topic, handle.Id, handle.Attempt, delay, exception);
            return h => h.ReleaseAsync(delay);
        }
    }

    private static Task Delete(ReservedJobHandle handle) => handle.DeleteAsync();

    private static Task Bury(ReservedJobHandle handle) => handle.BuryAsync();

    private static void RecordError(Activity? activity, Exception exception)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetStatus(ActivityStatusCode.Error, exception.Message);
        activity.AddEvent(new ActivityEvent("exception", tags: new ActivityTagsCollection
        {
            ["exception.type"] = exception.GetType().FullName,
            ["exception.message"] = exception.Message,
        }));
    }
}
