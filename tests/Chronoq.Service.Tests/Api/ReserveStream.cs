using Chronoq.Protocol.V1;
using Chronoq.Sdk.Transport;

namespace Chronoq.Service.Tests.Api;

/// <summary>
/// A Reserve call read one event at a time with a bound on each wait, and able to prove that no
/// event arrives for a while without cancelling the call (the pending read is kept for later).
/// </summary>
internal sealed class ReserveStream : IAsyncDisposable
{
    private readonly ServerStreamingCall<ReserveResponse> _call;
    private readonly CancellationTokenSource _cancel = new();
    private Task<bool>? _pending;

    public ReserveStream(ApiClient client, ReserveRequest request) => _call = client.Reserve(request, _cancel.Token);

    /// <summary>The next event; fails if none arrives within <paramref name="timeout"/> or the call ends.</summary>
    public async Task<ReserveResponse> NextAsync(TimeSpan? timeout = null)
    {
        var read = _pending ??= _call.MoveNextAsync().AsTask();
        var limit = timeout ?? TimeSpan.FromSeconds(10);
        if (await Task.WhenAny(read, Task.Delay(limit)) != read)
        {
            Assert.Fail($"no Reserve event within {limit}");
        }

        _pending = null;
        Assert.True(await read, "the Reserve call ended");
        return _call.Current;
    }

    /// <summary>The next event, which must be a reserved job.</summary>
    public async Task<ReservedJob> NextJobAsync(TimeSpan? timeout = null)
    {
        var next = await NextAsync(timeout);
        Assert.Equal(ReserveResponse.EventOneofCase.Job, next.EventCase);
        return next.Job;
    }

    /// <summary>Asserts that no event arrives within <paramref name="quiet"/>.</summary>
    public async Task AssertQuietAsync(TimeSpan quiet)
    {
        var read = _pending ??= _call.MoveNextAsync().AsTask();
        var winner = await Task.WhenAny(read, Task.Delay(quiet));
        Assert.True(winner != read, read.IsCompletedSuccessfully && read.Result ? $"unexpected event: {_call.Current}" : "the Reserve call ended");
    }

    /// <summary>Waits for the call's end (its status is then in the exception, or OK).</summary>
    public async Task<bool> EndedAsync(TimeSpan timeout)
    {
        var read = _pending ??= _call.MoveNextAsync().AsTask();
        if (await Task.WhenAny(read, Task.Delay(timeout)) != read)
        {
            Assert.Fail($"the Reserve call did not end within {timeout}");
        }

        _pending = null;
        return await read;
    }

    /// <summary>Cancels the call (the server sees its stream reset).</summary>
    public async ValueTask DisposeAsync()
    {
        await _cancel.CancelAsync();
        _call.Dispose();
        if (_pending is { } pending)
        {
            try
            {
                await pending;
            }
            catch (Exception)
            {
                // The cancelled read fails; that is the point.
            }
        }

        _cancel.Dispose();
    }
}
