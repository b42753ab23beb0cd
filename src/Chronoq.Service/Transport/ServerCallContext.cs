using System.Globalization;
using System.Net.Sockets;
using Chronoq.Protocol.Grpc;
using Chronoq.Service.Transport.Internal;
using Microsoft.AspNetCore.Http;

namespace Chronoq.Service.Transport;

/// <summary>
/// What a handler knows about its call: deadline, cancellation, request headers, the peer, and a
/// way to add response headers and trailers. One per call; not thread-safe.
/// </summary>
public sealed class ServerCallContext : IDisposable
{
    // The largest delay a CancellationTokenSource timer takes (uint.MaxValue - 1 ms, ~49 days);
    // a longer grpc-timeout is as good as none.
    private static readonly TimeSpan MaxTimerDelay = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    private readonly HttpContext _httpContext;
    private readonly TimeProvider _timeProvider;
    private CancellationTokenSource? _deadlineSource;
    private CancellationTokenRegistration _abortRegistration;
    private List<KeyValuePair<string, string>>? _trailers;
    private string? _peer;

    internal ServerCallContext(HttpContext httpContext, string method, TimeProvider timeProvider)
    {
        _httpContext = httpContext;
        _timeProvider = timeProvider;
        Method = method;
        CancellationToken = httpContext.RequestAborted;
    }

    /// <summary>The full method path, e.g. <c>/grpc.health.v1.Health/Check</c>.</summary>
    public string Method { get; }

    /// <summary>When the call's deadline passes (from <c>grpc-timeout</c>); <see cref="DateTimeOffset.MaxValue"/> when none was set.</summary>
    public DateTimeOffset Deadline { get; private set; } = DateTimeOffset.MaxValue;

    /// <summary>Fires when the client cancels, the connection drops or the deadline passes.</summary>
    public CancellationToken CancellationToken { get; private set; }

    /// <summary>The request headers (HTTP/2 pseudo-headers excluded by ASP.NET).</summary>
    public IHeaderDictionary RequestHeaders => _httpContext.Request.Headers;

    /// <summary>Response headers: add before the first message is written.</summary>
    public IHeaderDictionary ResponseHeaders => _httpContext.Response.Headers;

    /// <summary>The caller's address in gRPC's form, e.g. <c>ipv4:127.0.0.1:50000</c>.</summary>
    public string Peer => _peer ??= FormatPeer(_httpContext);

    /// <summary>The ASP.NET request, for what the context does not expose.</summary>
    public HttpContext HttpContext => _httpContext;

    /// <summary>Whether the deadline (not the client) ended the call.</summary>
    internal bool DeadlineExceeded =>
        _deadlineSource is { IsCancellationRequested: true } && !_httpContext.RequestAborted.IsCancellationRequested;

    /// <summary>Whether a message (or the headers, by a flush) has gone out, so the status must go in trailers.</summary>
    internal bool ResponseStarted { get; set; }

    internal IReadOnlyList<KeyValuePair<string, string>>? Trailers => _trailers;

    /// <summary>Adds a response trailer, sent with the status at the end of the call.</summary>
    public void AddResponseTrailer(string name, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(value);
        (_trailers ??= []).Add(new(name, value));
    }

    /// <summary>Starts the deadline timer; the token is created only when a deadline exists.</summary>
    internal void StartDeadline(TimeSpan timeout)
    {
        if (timeout >= MaxTimerDelay)
        {
            return;
        }

        Deadline = _timeProvider.GetUtcNow() + timeout;
        _deadlineSource = new CancellationTokenSource(timeout, _timeProvider);
        _abortRegistration = _httpContext.RequestAborted.UnsafeRegister(
            static state => ((CancellationTokenSource)state!).Cancel(),
            _deadlineSource);
        CancellationToken = _deadlineSource.Token;
    }

    /// <summary>Releases the deadline timer.</summary>
    public void Dispose()
    {
        _abortRegistration.Dispose();
        _deadlineSource?.Dispose();
    }

    private static string FormatPeer(HttpContext httpContext)
    {
        var connection = httpContext.Connection;
        var ip = connection.RemoteIpAddress;
        if (ip is null)
        {
            return "unknown";
        }

        if (ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4();
        }

        return ip.AddressFamily == AddressFamily.InterNetworkV6
            ? string.Create(CultureInfo.InvariantCulture, $"ipv6:[{ip}]:{connection.RemotePort}")
            : string.Create(CultureInfo.InvariantCulture, $"ipv4:{ip}:{connection.RemotePort}");
    }
}
