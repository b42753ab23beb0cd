using System.Collections.Concurrent;
using System.Threading.Channels;
using Chronoq.Protocol.Grpc;
using Chronoq.Protocol.V1;
using Chronoq.Sdk.Transport;

namespace Chronoq.Sdk.Internal;

/// <summary>
/// One Reserve call, read in the background: jobs go to a queue the consumer reads at its own
/// pace, while <c>deadline_soon</c> warnings are handled as they arrive (a consumer busy with a
/// slow job would otherwise read the warning only after the deadline). The queue needs no bound
/// of its own: the server keeps at most <c>prefetch</c> jobs reserved through the stream.
/// Disposing ends the call, and the server returns every job still held through it to READY.
/// </summary>
internal sealed class ReserveStream : IAsyncDisposable
{
    // deadline_soon comes 1 s before the deadline, or at once when the TTR is 1 s or less — and
    // again after every touch. Touching at once uses the whole second for the round trip and a
    // busy machine; but with a short TTR the warning follows each touch immediately, so touches
    // are spaced at least a quarter of the TTR apart (at most four per TTR), which still leaves
    // three quarters of it as margin.
    private const int MaxTouchesPerTtr = 4;

    private readonly ChronoqClient _client;
    private readonly bool _autoTouch;
    private readonly Channel<ReservedJobHandle> _jobs = Channel.CreateUnbounded<ReservedJobHandle>(new UnboundedChannelOptions { SingleWriter = true, SingleReader = true });
    // Keyed by id and token: the contract makes a token unique per reservation, not across jobs.
    private readonly ConcurrentDictionary<(ulong Id, ulong Reservation), ReservedJobHandle> _held = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pump;

    public ReserveStream(ChronoqClient client, ReserveRequest request, bool autoTouch)
    {
        _client = client;
        _autoTouch = autoTouch;
        _pump = PumpAsync(request);
    }

    /// <summary>The jobs held through this stream and not yet settled by their handles.</summary>
    public ICollection<ReservedJobHandle> Held => _held.Values;

    /// <summary>Ends when the call ends: OK completes the reader, a failure faults it with the <see cref="RpcException"/>.</summary>
    public ChannelReader<ReservedJobHandle> Jobs => _jobs.Reader;

    public void Forget(ReservedJobHandle handle) => _held.TryRemove(new KeyValuePair<(ulong, ulong), ReservedJobHandle>((handle.Id, handle.Reservation), handle));

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _pump.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task PumpAsync(ReserveRequest request)
    {
        // Let the constructor return before the first read.
        await Task.Yield();
        Exception? failure = null;
        try
        {
            using var call = _client.Channel.ServerStreaming(ChronoqMethods.Reserve, request, new CallOptions { CancellationToken = _stop.Token });
            while (await call.MoveNextAsync().ConfigureAwait(false))
            {
                var response = call.Current;
                switch (response.EventCase)
                {
                    case ReserveResponse.EventOneofCase.Job:
                        var handle = new ReservedJobHandle(_client, response.Job, this);
                        _held[(handle.Id, handle.Reservation)] = handle;
                        _jobs.Writer.TryWrite(handle);
                        break;
                    case ReserveResponse.EventOneofCase.DeadlineSoon:
                        OnDeadlineSoon(response.DeadlineSoon);
                        break;
                }
            }
        }
        catch (RpcException exception) when (exception.StatusCode == StatusCode.Cancelled && _stop.IsCancellationRequested)
        {
            // Ended by DisposeAsync: a normal end.
        }
        catch (Exception exception)
        {
            failure = exception;
        }

        _jobs.Writer.TryComplete(failure);
    }

    private void OnDeadlineSoon(DeadlineSoon warning)
    {
        if (!_held.TryGetValue((warning.Id, warning.Reservation), out var handle))
        {
            return;
        }

        var deadline = warning.Deadline?.ToDateTimeOffset() ?? handle.Deadline;
        handle.UpdateDeadline(deadline);
        if (_autoTouch)
        {
            _ = TouchSoonAsync(handle);
        }
    }

    private async Task TouchSoonAsync(ReservedJobHandle handle)
    {
        var timeProvider = _client.Options.TimeProvider;
        var wait = handle.RenewedAt + (handle.Ttr / MaxTouchesPerTtr) - timeProvider.GetUtcNow();
        try
        {
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, timeProvider, _stop.Token).ConfigureAwait(false);
            }

            if (!handle.IsSettled && !_stop.IsCancellationRequested)
            {
                await handle.TouchAsync(_stop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // The stream ended; the server has returned the job to READY.
        }
        catch (RpcException) when (handle.IsSettled)
        {
            // Settled while the touch was in flight: nothing to keep alive.
        }
        catch (Exception exception)
        {
            SdkLog.AutoTouchFailed(_client.Logger, handle.Id, exception);
        }
    }
}
