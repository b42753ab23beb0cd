using System.Net.Http;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Chronoq.Sdk.Transport;

/// <summary>
/// Settings of a <see cref="ChronoqChannel"/>. Immutable: derive variants with <c>with</c> from
/// <see cref="Default"/>. Validated when the channel is created.
/// </summary>
public sealed record ChronoqChannelOptions
{
    /// <summary>The defaults described on each property.</summary>
    public static ChronoqChannelOptions Default { get; } = new();

    /// <summary>
    /// The largest response message accepted, in bytes; a larger one fails the call with
    /// RESOURCE_EXHAUSTED, checked on its length prefix before anything is buffered.
    /// Default 4 MiB, as in every gRPC implementation.
    /// </summary>
    public int MaxReceiveMessageSize { get; init; } = 4 * 1024 * 1024;

    /// <summary>
    /// The largest request message sent, in bytes; a larger one fails the call with
    /// RESOURCE_EXHAUSTED before anything is sent. Default unlimited (<see cref="int.MaxValue"/>).
    /// </summary>
    public int MaxSendMessageSize { get; init; } = int.MaxValue;

    /// <summary>
    /// Idle time after which the client pings the server over HTTP/2 to learn whether the
    /// connection is still alive. Default 60 s: a consumer whose Reserve stream sits idle behind
    /// a dead peer or a silent NAT learns of it within <see cref="KeepAlivePingDelay"/> +
    /// <see cref="KeepAlivePingTimeout"/> instead of never. <see cref="Timeout.InfiniteTimeSpan"/>
    /// turns pings off (needed against grpc-core servers with their default ping policy, which
    /// refuse pings more often than every 5 minutes).
    /// </summary>
    public TimeSpan KeepAlivePingDelay { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a keep-alive ping may go unanswered before the connection is closed. Default 20 s, the gRPC default.</summary>
    public TimeSpan KeepAlivePingTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Whether keep-alive pings are sent always or only while calls are open. Default only while calls are open.</summary>
    public HttpKeepAlivePingPolicy KeepAlivePingPolicy { get; init; } = HttpKeepAlivePingPolicy.WithActiveRequests;

    /// <summary>
    /// Whether the client opens another HTTP/2 connection when every open one has reached the
    /// server's concurrent-stream limit, instead of queueing calls. Default true: many
    /// long-lived Reserve streams must not starve unary calls.
    /// </summary>
    public bool EnableMultipleHttp2Connections { get; init; } = true;

    /// <summary>How long establishing a connection (TCP and TLS) may take before calls fail with UNAVAILABLE. Default 15 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// For <c>https://</c> addresses: certificate authorities to trust for the server's
    /// certificate instead of the system's store (e.g. a private CA). Null (the default) uses the
    /// system's trust store.
    /// </summary>
    public X509Certificate2Collection? TrustedCertificateAuthorities { get; init; }

    /// <summary>
    /// For <c>https://</c> addresses: a validation callback that replaces the default
    /// certificate check entirely (it wins over <see cref="TrustedCertificateAuthorities"/>). Default null.
    /// </summary>
    public RemoteCertificateValidationCallback? ServerCertificateValidation { get; init; }

    /// <summary>For <c>https://</c> addresses: client certificates for mutual TLS. Default none.</summary>
    public X509CertificateCollection? ClientCertificates { get; init; }

    /// <summary>Adds headers (e.g. credentials) to every call. Default none.</summary>
    public RequestMetadataProvider? RequestMetadata { get; init; }

    /// <summary>The clock of deadlines. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
