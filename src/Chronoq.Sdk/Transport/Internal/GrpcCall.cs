using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using Chronoq.Protocol.Grpc;
using Google.Protobuf;

namespace Chronoq.Sdk.Transport.Internal;

/// <summary>
/// One call on the wire: sends the request, reads the response messages with the shared
/// <see cref="GrpcFraming"/>, and settles the status. Cancellation and the deadline both cancel one
/// token; once the response has arrived that token also disposes it, which makes the handler
/// reset the HTTP/2 stream (RST_STREAM CANCEL), so the server sees the call end at once even when
/// no read is in progress. Not thread-safe: one reader at a time; <see cref="Cancel"/> may come
/// from any thread. Its asynchronous steps return <see cref="ValueTask"/>s whose state machines
/// come from a pool (each is awaited once), so a call does not allocate one per step.
/// </summary>
/// <typeparam name="TResponse">The response message type.</typeparam>
internal sealed class GrpcCall<TResponse> : IDisposable
    where TResponse : class, IMessage<TResponse>
{
    // 16 KiB, the default HTTP/2 max frame size, so one read usually takes a whole DATA frame
    // (the pipe's default of 4 KiB would need four).
    private static readonly StreamPipeReaderOptions ReaderOptions = new(bufferSize: 16 * 1024, minimumReadSize: 1024);

    // REFUSED_STREAM comes when a burst of calls outruns the server's concurrent-stream limit
    // before the client has learned it from SETTINGS; a few resends cover that without looping
    // forever against a server that refuses everything.
    private const int MaxTransparentAttempts = 5;

    // The first buffer of a unary response: a typical response and its prefix fit in it.
    private const int UnaryBufferSize = 1024;

    private const int NotCancelled = 0;
    private const int CancelledByCaller = 1;

    private readonly ChronoqChannel _channel;
    private readonly string _methodFullName;
    private readonly MessageParser<TResponse> _parser;
    private readonly CallOptions _options;
    private readonly bool _streaming;
    private CancellationTokenSource? _cancellation;
    private CancellationTokenRegistration _callerRegistration;
    private CancellationTokenRegistration _abortRegistration;
    private CancellationToken _token;
    private int _cancelReason;
    private HttpResponseMessage? _response;
    private PipeReader? _reader;
    private Stream? _body;
    private byte[] _buffer = [];
    private int _bufferStart;
    private int _bufferEnd;
    private bool _bodyEnded;
    private RpcStatus? _status;

    /// <param name="streaming">
    /// Whether this is a server-streaming call: it can be cancelled by <see cref="Cancel"/> even
    /// without a deadline or token (unary calls need not pay for that), and its messages are read
    /// through a pipe rather than one buffer.
    /// </param>
    public GrpcCall(ChronoqChannel channel, string methodFullName, MessageParser<TResponse> parser, in CallOptions options, bool streaming)
    {
        _channel = channel;
        _methodFullName = methodFullName;
        _parser = parser;
        _options = options;
        _streaming = streaming;
    }

    /// <summary>The final status once the call is over, else null.</summary>
    public RpcStatus? Status => _status;

    /// <summary>The response headers; null until they arrived.</summary>
    public HttpResponseMessage? Response => _response;

    /// <summary>
    /// Sends the request and waits for the response headers. Throws <see cref="RpcException"/>
    /// when no response arrived (connection failure, deadline, cancellation, oversize request).
    /// A response that already carries a non-OK status (trailers-only, HTTP error) does not
    /// throw here: its status is thrown by the first <see cref="ReadNextAsync"/>.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask StartAsync(IMessage request)
    {
        var options = _channel.Options;
        var caller = _options.CancellationToken;
        if (caller.IsCancellationRequested)
        {
            throw Fail(CancelledStatus);
        }

        TimeSpan? timeout = null;
        if (_options.Deadline is { } deadline)
        {
            timeout = deadline - options.TimeProvider.GetUtcNow();
            if (timeout <= TimeSpan.Zero)
            {
                throw Fail(DeadlineStatus);
            }
        }

        var size = request.CalculateSize();
        if (size > options.MaxSendMessageSize)
        {
            throw Fail(new RpcStatus(
                StatusCode.ResourceExhausted,
                $"The request message is {size} bytes, more than the channel's MaxSendMessageSize of {options.MaxSendMessageSize} bytes."));
        }

        ArmCancellation(timeout, caller);

        Metadata? provided;
        try
        {
            provided = await ProvideMetadataAsync().ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            throw Fail(StatusOf(exception));
        }

        HttpResponseMessage response;
        for (var attempt = 1; ; attempt++)
        {
            var httpRequest = CreateRequest(request, size, provided);
            try
            {
                response = await _channel.Invoker.SendAsync(httpRequest, _token).ConfigureAwait(false);
                break;
            }
            catch (Exception exception) when (attempt < MaxTransparentAttempts && CallFailure.IsRefusedStream(exception) && !_token.IsCancellationRequested)
            {
                // REFUSED_STREAM guarantees the server did not process the request (RFC 9113,
                // 8.7), so it is resent as gRPC's transparent retry does.
                httpRequest.Dispose();
            }
            catch (Exception exception)
            {
                httpRequest.Dispose();
                throw Fail(StatusOf(exception));
            }
        }

        Volatile.Write(ref _response, response);
        if (_token.IsCancellationRequested)
        {
            // Cancelled between the headers arriving and the response being visible to the abort.
            throw Fail(CancelledOrDeadlineStatus());
        }

        if (GrpcResponseStatus.TryRead(response.Headers, out var trailersOnly))
        {
            Finish(trailersOnly);
        }
        else if (response.StatusCode != HttpStatusCode.OK)
        {
            Finish(GrpcResponseStatus.FromHttpStatus(response.StatusCode));
        }
        else if (!response.Content.Headers.NonValidated.TryGetValues("Content-Type", out var contentType)
            || !GrpcHeaderNames.IsGrpcContentType(contentType.ToString()))
        {
            Finish(new RpcStatus(StatusCode.Internal, $"Bad gRPC response: content type '{contentType}'."));
        }
    }

    /// <summary>
    /// The next response message, or null when the call ended with OK. Throws <see cref="RpcException"/>
    /// for any other ending; reading past the end keeps returning (or throwing) the same outcome.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<TResponse?> ReadNextAsync()
    {
        if (_status is { } settled)
        {
            return settled.Code == StatusCode.OK ? null : throw settled.ToException();
        }

        if (_token.IsCancellationRequested)
        {
            // Cancelled or past the deadline: messages already buffered are not handed out.
            throw Fail(CancelledOrDeadlineStatus());
        }

        GrpcFrameReadResult<TResponse> result;
        try
        {
            result = _streaming ? await ReadStreamedFrameAsync().ConfigureAwait(false) : await ReadBufferedFrameAsync().ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            throw Fail(StatusOf(exception));
        }

        switch (result.Status)
        {
            case GrpcFrameReadStatus.Message:
                return result.Message;
            case GrpcFrameReadStatus.EndOfStream:
                var status = GrpcResponseStatus.TryRead(_response!.TrailingHeaders, out var trailed)
                    ? trailed
                    : new RpcStatus(StatusCode.Internal, "The response ended without a grpc-status.");
                Finish(status);
                return status.Code == StatusCode.OK ? null : throw status.ToException();
            case GrpcFrameReadStatus.MessageTooLarge:
                throw Fail(new RpcStatus(
                    StatusCode.ResourceExhausted,
                    $"The response message is {result.DeclaredLength} bytes, more than the channel's MaxReceiveMessageSize of {_channel.Options.MaxReceiveMessageSize} bytes."));
            case GrpcFrameReadStatus.Compressed:
                throw Fail(new RpcStatus(StatusCode.Internal, "The server sent a compressed message, but the client accepts only identity encoding."));
            case GrpcFrameReadStatus.TruncatedFrame:
                throw Fail(new RpcStatus(StatusCode.Internal, "The response ended inside a message."));
            default:
                throw Fail(new RpcStatus(StatusCode.Internal, $"The response message is not a valid {typeof(TResponse).Name}."));
        }
    }

    /// <summary>Ends the call with <paramref name="status"/> (e.g. a protocol violation the caller found), resetting the stream.</summary>
    public RpcException Fail(RpcStatus status)
    {
        // A clean OK end does not stand when the caller finds the exchange broken after it
        // (a unary call that ended OK without its message).
        if (_status is not { } settled || settled.Code == StatusCode.OK)
        {
            _status = status;
        }

        Release();
        return _status.Value.ToException();
    }

    /// <summary>The caller gave up on the call: the stream is reset and the call ends CANCELLED.</summary>
    public void Cancel()
    {
        Interlocked.CompareExchange(ref _cancelReason, CancelledByCaller, NotCancelled);
        if (_status is not null)
        {
            return;
        }

        if (_cancellation is { } cancellation)
        {
            try
            {
                cancellation.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The call ended on another thread meanwhile: nothing left to cancel.
            }
        }
        else
        {
            AbortResponse();
        }
    }

    /// <summary>Cancels the call if it is still open, and releases what it holds.</summary>
    public void Dispose()
    {
        if (_status is null)
        {
            Cancel();
            _status = CancelledStatus;
        }

        Release();
    }

    /// <summary>Response headers or trailers as metadata, without the status and transport headers.</summary>
    public static Metadata ToMetadata(HttpHeaders headers)
    {
        var metadata = new Metadata(capacity: 4);
        foreach (var (name, values) in headers.NonValidated)
        {
            var key = name.ToLowerInvariant();
            if (key is GrpcHeaderNames.Status or GrpcHeaderNames.Message or "content-type" or "date" or "server")
            {
                continue;
            }

            foreach (var value in values)
            {
                metadata.AddReceived(key, value);
            }
        }

        return metadata;
    }

    private static RpcStatus CancelledStatus => new(StatusCode.Cancelled, "The call was cancelled by the client.");

    private static RpcStatus DeadlineStatus => new(StatusCode.DeadlineExceeded, "The deadline was exceeded.");

    private void ArmCancellation(TimeSpan? timeout, CancellationToken caller)
    {
        if (timeout is null && !_streaming)
        {
            // A unary call without deadline: the caller's token alone, and no allocation for it.
            _token = caller;
            if (caller.CanBeCanceled)
            {
                _abortRegistration = caller.UnsafeRegister(static state => ((GrpcCall<TResponse>)state!).AbortResponse(), this);
            }

            return;
        }

        _cancellation = timeout is { } due
            ? new CancellationTokenSource(due, _channel.Options.TimeProvider)
            : new CancellationTokenSource();
        _token = _cancellation.Token;
        if (caller.CanBeCanceled)
        {
            _callerRegistration = caller.UnsafeRegister(static state => ((GrpcCall<TResponse>)state!).Cancel(), this);
        }

        _abortRegistration = _token.UnsafeRegister(static state => ((GrpcCall<TResponse>)state!).AbortResponse(), this);
    }

    private HttpRequestMessage CreateRequest(IMessage request, int size, Metadata? provided)
    {
        var httpRequest = new HttpRequestMessage(HttpMethod.Post, _channel.UriFor(_methodFullName))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new GrpcRequestContent(request, size),
        };
        var headers = httpRequest.Headers;
        headers.TryAddWithoutValidation(GrpcHeaderNames.TE, "trailers");
        headers.TryAddWithoutValidation("User-Agent", ChronoqChannel.UserAgent);
        if (_options.Headers is { } callHeaders)
        {
            AddMetadata(headers, callHeaders);
        }

        if (provided is not null)
        {
            AddMetadata(headers, provided);
        }

        // Measured last, after any asynchronous metadata work, so the server gets the time truly left.
        if (_options.Deadline is { } deadline)
        {
            headers.TryAddWithoutValidation(GrpcHeaderNames.Timeout, GrpcTimeout.Format(deadline - _channel.Options.TimeProvider.GetUtcNow()));
        }

        return httpRequest;
    }

    // A stream's messages go through a PipeReader, which holds large messages in segments.
    private ValueTask<GrpcFrameReadResult<TResponse>> ReadStreamedFrameAsync()
    {
        _reader ??= PipeReader.Create(_response!.Content.ReadAsStream(_token), ReaderOptions);
        return GrpcFraming.ReadMessageAsync(_reader, _parser, _channel.Options.MaxReceiveMessageSize, _token);
    }

    // A unary response is one small message (and, from a server gone wrong, maybe more bytes):
    // it is read straight from the response stream into one pooled array. A PipeReader would
    // cost a reader, a segment, a token source and a 16 KiB buffer per call, most of what a
    // unary call's read allocated. The prefix is checked as soon as it is in, so an oversize
    // message is rejected before it is buffered, as the streamed path does.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<GrpcFrameReadResult<TResponse>> ReadBufferedFrameAsync()
    {
        var maxMessageSize = _channel.Options.MaxReceiveMessageSize;
        _body ??= _response!.Content.ReadAsStream(_token);
        while (true)
        {
            var buffered = new ReadOnlySequence<byte>(_buffer, _bufferStart, _bufferEnd - _bufferStart);
            var result = GrpcFraming.Decode(buffered, _bodyEnded, _parser, maxMessageSize, out var consumed);
            _bufferStart += (int)consumed;
            if (result.Status != GrpcFrameReadStatus.TruncatedFrame || _bodyEnded)
            {
                return result;
            }

            MakeRoom(GrpcFraming.HeaderSize + result.DeclaredLength);
            var read = await _body.ReadAsync(_buffer.AsMemory(_bufferEnd), _token).ConfigureAwait(false);
            if (read == 0)
            {
                _bodyEnded = true;
            }

            _bufferEnd += read;
        }
    }

    // Room for the whole frame that starts at _bufferStart, whose length is known once its prefix
    // is in (before that, the prefix's own length). That prefix passed the size check, so the
    // array grows at most once per frame, straight to its size (never past MaxReceiveMessageSize),
    // instead of doubling and copying its way up. The consumed front is dropped when the frame
    // would not fit behind it.
    private void MakeRoom(long frameLength)
    {
        if (_bufferStart + frameLength <= _buffer.Length)
        {
            // The frame is incomplete, so its end lies past _bufferEnd: there is room to read.
            return;
        }

        var buffered = _bufferEnd - _bufferStart;
        var target = _buffer;
        if (frameLength > _buffer.Length)
        {
            if (frameLength > Array.MaxLength)
            {
                // Only a MaxReceiveMessageSize within a few bytes of int.MaxValue lets a prefix get here.
                throw new RpcException(StatusCode.ResourceExhausted, $"The response message is {frameLength - GrpcFraming.HeaderSize} bytes, more than one array can hold.");
            }

            target = ArrayPool<byte>.Shared.Rent(Math.Max(UnaryBufferSize, (int)frameLength));
        }

        _buffer.AsSpan(_bufferStart, buffered).CopyTo(target);
        if (!ReferenceEquals(target, _buffer))
        {
            ReturnBuffer();
            _buffer = target;
        }

        _bufferStart = 0;
        _bufferEnd = buffered;
    }

    private void ReturnBuffer()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }

    private async ValueTask<Metadata?> ProvideMetadataAsync()
    {
        if (_channel.Options.RequestMetadata is not { } provider)
        {
            return null;
        }

        var provided = new Metadata();
        try
        {
            await provider(_methodFullName, provided, _token).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not RpcException && !_token.IsCancellationRequested)
        {
            throw new RpcException(StatusCode.Unauthenticated, "The request metadata provider failed: " + exception.Message);
        }

        return provided;
    }

    private static void AddMetadata(HttpRequestHeaders headers, Metadata metadata)
    {
        foreach (var entry in metadata)
        {
            headers.TryAddWithoutValidation(entry.Key, entry.Value);
        }
    }

    private RpcStatus StatusOf(Exception exception) =>
        _token.IsCancellationRequested ? CancelledOrDeadlineStatus() : CallFailure.FromException(exception);

    private RpcStatus CancelledOrDeadlineStatus() =>
        Volatile.Read(ref _cancelReason) == CancelledByCaller || _options.CancellationToken.IsCancellationRequested || _options.Deadline is null
            ? CancelledStatus
            : DeadlineStatus;

    private void AbortResponse() => Volatile.Read(ref _response)?.Dispose();

    private void Finish(RpcStatus status)
    {
        _status ??= status;
        Release();
    }

    // Completing the reader disposes the response stream, and disposing an HTTP/2 response stream
    // that has not ended resets it (RST_STREAM CANCEL): the server sees the call end. After a
    // clean end there is nothing left to reset, so the same steps just return the buffers.
    private void Release()
    {
        _callerRegistration.Dispose();
        _abortRegistration.Unregister();
        if (_reader is { } reader)
        {
            _reader = null;
            reader.Complete();
        }

        if (_body is { } body)
        {
            _body = null;
            body.Dispose();
        }

        ReturnBuffer();

        _response?.Dispose();
        _cancellation?.Dispose();
    }
}
