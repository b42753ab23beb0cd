using System.Runtime.CompilerServices;
using Chronoq.Protocol.Grpc;
using Chronoq.Sdk.Transport.Internal;
using Google.Protobuf;

namespace Chronoq.Sdk.Transport;

/// <summary>
/// A server-streaming call in progress: read the responses with <see cref="MoveNextAsync"/> /
/// <see cref="Current"/> or <see cref="ReadAllAsync"/>; a non-OK ending throws
/// <see cref="RpcException"/>. Disposing an unfinished call cancels it and resets its HTTP/2
/// stream, so the server sees the cancellation. One reader at a time.
/// </summary>
/// <typeparam name="TResponse">The response message type.</typeparam>
public sealed class ServerStreamingCall<TResponse> : IDisposable, IAsyncDisposable
    where TResponse : class, IMessage<TResponse>
{
    private readonly GrpcCall<TResponse> _call;
    private readonly Task _started;
    private TResponse? _current;

    internal ServerStreamingCall(GrpcCall<TResponse> call, IMessage request)
    {
        _call = call;
        _started = call.StartAsync(request).AsTask();
    }

    /// <summary>The message the last successful <see cref="MoveNextAsync"/> read.</summary>
    public TResponse Current => _current ?? throw new InvalidOperationException("No message has been read yet.");

    /// <summary>
    /// The response headers, once they arrived. Throws <see cref="RpcException"/> when the call
    /// failed before any response (connection failure, deadline, cancellation).
    /// </summary>
    public Task<Metadata> ResponseHeadersAsync => ReadHeadersAsync();

    /// <summary>How the call ended, or null while it is still open.</summary>
    public RpcStatus? Status => _call.Status;

    /// <summary>
    /// Reads the next message: true with <see cref="Current"/> set, false when the call ended OK.
    /// Cancelling <paramref name="cancellationToken"/> cancels the whole call.
    /// </summary>
    public async ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken = default)
    {
        await _started.ConfigureAwait(false);
        TResponse? next;
        using (cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static state => ((GrpcCall<TResponse>)state!).Cancel(), _call)
            : default)
        {
            next = await _call.ReadNextAsync().ConfigureAwait(false);
        }

        if (next is null)
        {
            return false;
        }

        _current = next;
        return true;
    }

    /// <summary>Every remaining message, until the call ends (OK ends the sequence, anything else throws).</summary>
    public async IAsyncEnumerable<TResponse> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (await MoveNextAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return _current!;
        }
    }

    /// <summary>The trailers the call ended with (the response headers for a trailers-only response). Only valid once the call has ended.</summary>
    public Metadata GetTrailers()
    {
        if (_call.Status is null)
        {
            throw new InvalidOperationException("The call has not ended yet.");
        }

        if (_call.Response is not { } response)
        {
            return new Metadata();
        }

        return GrpcCall<TResponse>.ToMetadata(response.TrailingHeaders.NonValidated.Count > 0 ? response.TrailingHeaders : response.Headers);
    }

    /// <summary>Cancels the call if it is still open (the server sees its stream reset), and frees it.</summary>
    public void Dispose() => _call.Dispose();

    /// <inheritdoc cref="Dispose"/>
    public ValueTask DisposeAsync()
    {
        _call.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<Metadata> ReadHeadersAsync()
    {
        await _started.ConfigureAwait(false);
        return GrpcCall<TResponse>.ToMetadata(_call.Response!.Headers);
    }
}
