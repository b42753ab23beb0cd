using System.Threading.Channels;

namespace Chronoq.Sdk.Internal;

/// <summary>
/// Coalesces concurrent calls into batches. Callers queue their request and await their own
/// completion; one loop takes whatever is queued, up to the size and byte limits, as soon as a
/// batch slot is free — so an idle client sends a lone request at once (no added latency) and
/// requests arriving while batches are in flight ride the next one. The queue is bounded:
/// callers wait for room instead of memory growing without limit.
/// </summary>
internal abstract class CallCoalescer<TRequest, TResult> : IAsyncDisposable
{
    private readonly Channel<PendingCall<TRequest, TResult>> _queue;
    private readonly SemaphoreSlim _slots;
    private readonly int _maxBatchSize;
    private readonly int _maxBatchBytes;
    private readonly TimeSpan _linger;
    private readonly TimeProvider _timeProvider;
    private readonly int _maxInFlight;
    private readonly Task _loop;
    private long _batchesSent;

    protected CallCoalescer(int capacity, int maxBatchSize, int maxBatchBytes, TimeSpan linger, int maxInFlight, TimeProvider timeProvider)
    {
        _queue = Channel.CreateBounded<PendingCall<TRequest, TResult>>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _slots = new SemaphoreSlim(maxInFlight, maxInFlight);
        _maxInFlight = maxInFlight;
        _maxBatchSize = maxBatchSize;
        _maxBatchBytes = maxBatchBytes;
        _linger = linger;
        _timeProvider = timeProvider;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>How many batches were sent; for tests and diagnostics.</summary>
    public long BatchesSent => Interlocked.Read(ref _batchesSent);

    /// <summary>How many requests wait for a batch.</summary>
    public int QueuedCount => _queue.Reader.Count;

    /// <summary>
    /// Queues a request and awaits its own result. Cancelling abandons the wait (and the request,
    /// if it has not left yet); a request already sent may still take effect on the server.
    /// </summary>
    public async Task<TResult> EnqueueAsync(TRequest request, CancellationToken cancellationToken)
    {
        // A caller that has already given up must not have its request sent at all.
        cancellationToken.ThrowIfCancellationRequested();
        var completion = new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var pending = new PendingCall<TRequest, TResult>(request, completion);
        if (!_queue.Writer.TryWrite(pending))
        {
            try
            {
                await _queue.Writer.WriteAsync(pending, cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException)
            {
                throw new ObjectDisposedException(GetType().Name, "The client is disposed.");
            }
        }

        if (!cancellationToken.CanBeCanceled)
        {
            return await completion.Task.ConfigureAwait(false);
        }

        using (cancellationToken.UnsafeRegister(static (state, token) => ((TaskCompletionSource<TResult>)state!).TrySetCanceled(token), completion))
        {
            return await completion.Task.ConfigureAwait(false);
        }
    }

    /// <summary>Stops taking requests, sends what is queued and waits for every batch in flight.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        for (var i = 0; i < _maxInFlight; i++)
        {
            await _slots.WaitAsync().ConfigureAwait(false);
        }

        _slots.Dispose();
    }

    /// <summary>A rough size of a request on the wire, to keep batches under the message limit.</summary>
    protected abstract int SizeOf(TRequest request);

    /// <summary>Sends a batch and completes every caller in it; must not throw.</summary>
    protected abstract Task SendAsync(IReadOnlyList<PendingCall<TRequest, TResult>> batch);

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            await _slots.WaitAsync().ConfigureAwait(false);
            if (_linger > TimeSpan.Zero)
            {
                await Task.Delay(_linger, _timeProvider).ConfigureAwait(false);
            }

            var batch = new List<PendingCall<TRequest, TResult>>(Math.Min(_maxBatchSize, reader.CanCount ? Math.Max(reader.Count, 1) : 16));
            long bytes = 0;
            while (batch.Count < _maxBatchSize && reader.TryPeek(out var next))
            {
                if (next.IsAbandoned)
                {
                    reader.TryRead(out _);
                    continue;
                }

                var size = SizeOf(next.Request);
                if (batch.Count > 0 && bytes + size > _maxBatchBytes)
                {
                    break;
                }

                reader.TryRead(out _);
                batch.Add(next);
                bytes += size;
            }

            if (batch.Count == 0)
            {
                _slots.Release();
                continue;
            }

            Interlocked.Increment(ref _batchesSent);
            _ = SendThenFreeSlotAsync(batch);
        }
    }

    private async Task SendThenFreeSlotAsync(List<PendingCall<TRequest, TResult>> batch)
    {
        try
        {
            await SendAsync(batch).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            foreach (var pending in batch)
            {
                pending.Completion.TrySetException(exception);
            }
        }
        finally
        {
            _slots.Release();
        }
    }
}
