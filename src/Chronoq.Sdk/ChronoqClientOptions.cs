using System.Net.Http;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Chronoq.Sdk.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Chronoq.Sdk;

/// <summary>
/// Settings of a <see cref="ChronoqClient"/>. Immutable: derive variants with <c>with</c> from
/// <see cref="Default"/>, e.g. <c>ChronoqClientOptions.Default with { Address = new("http://queue:50051") }</c>.
/// Validated when the client is created, with a message naming the setting.
/// </summary>
public sealed record ChronoqClientOptions
{
    /// <summary>The defaults described on each property.</summary>
    public static ChronoqClientOptions Default { get; } = new();

    /// <summary>
    /// The server: <c>http://</c> speaks HTTP/2 without TLS (h2c), <c>https://</c> uses TLS.
    /// Default <c>http://127.0.0.1:50051</c>, the server's default gRPC endpoint.
    /// </summary>
    public Uri Address { get; init; } = new("http://127.0.0.1:50051", UriKind.Absolute);

    /// <summary>
    /// How long a unary call may take, retries included, when the caller's token does not end it
    /// first; past it the call fails with DEADLINE_EXCEEDED. Default 30 s: long enough for a
    /// durable commit under load, short enough that a stuck server surfaces as an error instead of
    /// a hang. <see cref="Timeout.InfiniteTimeSpan"/> means none. Never applied to the Reserve
    /// stream, which lives as long as its consumer.
    /// </summary>
    public TimeSpan DefaultDeadline { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long connecting (TCP and TLS) may take before a call fails with UNAVAILABLE. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Idle time before an HTTP/2 keep-alive ping. Default 60 s; <see cref="Timeout.InfiniteTimeSpan"/> turns pings off.</summary>
    public TimeSpan KeepAlivePingDelay { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a keep-alive ping may go unanswered before the connection is dropped. Default 20 s.</summary>
    public TimeSpan KeepAlivePingTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>The largest response message accepted, in bytes. Default 4 MiB, the server's own default limit.</summary>
    public int MaxReceiveMessageSize { get; init; } = 4 * 1024 * 1024;

    /// <summary>The largest request message sent, in bytes. Default 4 MiB, the server's default receive limit.</summary>
    public int MaxSendMessageSize { get; init; } = 4 * 1024 * 1024;

    /// <summary>For <c>https://</c>: certificate authorities to trust instead of the system store (a private CA). Default null.</summary>
    public X509Certificate2Collection? TrustedCertificateAuthorities { get; init; }

    /// <summary>For <c>https://</c>: replaces the server certificate check entirely. Default null.</summary>
    public RemoteCertificateValidationCallback? ServerCertificateValidation { get; init; }

    /// <summary>For <c>https://</c>: client certificates for mutual TLS. Default none.</summary>
    public X509CertificateCollection? ClientCertificates { get; init; }

    /// <summary>
    /// Adds authentication (or any) headers to every call, e.g. a bearer token refreshed
    /// asynchronously. Default none.
    /// </summary>
    public RequestMetadataProvider? Authentication { get; init; }

    /// <summary>
    /// How many times an idempotent call is tried in all when the server is UNAVAILABLE
    /// (unreachable, restarting, or its storage down). Default 4: with the default backoff that
    /// rides out about 1.5 s of outage before the error reaches the caller. 1 turns retries off.
    /// </summary>
    public int MaxCallAttempts { get; init; } = 4;

    /// <summary>The first retry's backoff ceiling; each later one doubles it, with full jitter. Default 100 ms.</summary>
    public TimeSpan RetryInitialBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The largest backoff between two tries. Default 2 s.</summary>
    public TimeSpan RetryMaxBackoff { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Whether concurrent <see cref="ChronoqClient.PutAsync(string, ReadOnlyMemory{byte}, PutOptions?, CancellationToken)"/>
    /// and <see cref="ChronoqClient.DeleteAsync"/> calls are coalesced into PutBatch and
    /// DeleteBatch calls. Default true.
    /// </summary>
    public bool EnableBatching { get; init; } = true;

    /// <summary>The most jobs one coalesced PutBatch or DeleteBatch carries. Default 512: enough to fill a server commit, small enough to stay far below the message size limit with small bodies.</summary>
    public int MaxBatchSize { get; init; } = 512;

    /// <summary>
    /// The most request bytes (bodies and headers, roughly) one coalesced PutBatch carries; a
    /// larger put goes alone. Default 1 MiB, a quarter of the server's default message limit.
    /// </summary>
    public int MaxBatchBytes { get; init; } = 1024 * 1024;

    /// <summary>
    /// How long a batch waits for company once it has its first job. Default zero: a batch leaves
    /// at once when no batch is in flight, so an idle client adds no latency, and jobs that arrive
    /// while one is in flight ride the next.
    /// </summary>
    public TimeSpan BatchLinger { get; init; } = TimeSpan.Zero;

    /// <summary>
    /// How many coalesced batches of one kind may be in flight at once. Default 2: one batch
    /// travels while the next fills, which keeps a single connection busy without splitting
    /// batches into many small ones.
    /// </summary>
    public int MaxBatchesInFlight { get; init; } = 2;

    /// <summary>
    /// How many puts (and, separately, deletes) may wait for a batch; beyond it callers wait for
    /// room, so a producer faster than the server slows down instead of growing memory. Default 8192.
    /// </summary>
    public int BatchQueueCapacity { get; init; } = 8192;

    /// <summary>Where the client logs retries and failed automatic touches. Default none (<see cref="NullLoggerFactory"/>).</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>The clock of deadlines and backoffs. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    internal ChronoqChannelOptions ToChannelOptions() => ChronoqChannelOptions.Default with
    {
        MaxReceiveMessageSize = MaxReceiveMessageSize,
        MaxSendMessageSize = MaxSendMessageSize,
        KeepAlivePingDelay = KeepAlivePingDelay,
        KeepAlivePingTimeout = KeepAlivePingTimeout,
        KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
        ConnectTimeout = ConnectTimeout,
        TrustedCertificateAuthorities = TrustedCertificateAuthorities,
        ServerCertificateValidation = ServerCertificateValidation,
        ClientCertificates = ClientCertificates,
        RequestMetadata = Authentication,
        TimeProvider = TimeProvider,
    };

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Address, "ChronoqClientOptions.Address");
        ArgumentNullException.ThrowIfNull(TimeProvider, "ChronoqClientOptions.TimeProvider");
        ArgumentNullException.ThrowIfNull(LoggerFactory, "ChronoqClientOptions.LoggerFactory");
        Require(DefaultDeadline == Timeout.InfiniteTimeSpan || DefaultDeadline > TimeSpan.Zero, nameof(DefaultDeadline), DefaultDeadline, "positive or infinite");
        Require(MaxCallAttempts >= 1, nameof(MaxCallAttempts), MaxCallAttempts, "at least 1");
        Require(RetryInitialBackoff > TimeSpan.Zero, nameof(RetryInitialBackoff), RetryInitialBackoff, "positive");
        Require(RetryMaxBackoff >= RetryInitialBackoff, nameof(RetryMaxBackoff), RetryMaxBackoff, "at least RetryInitialBackoff");
        Require(MaxBatchSize >= 1, nameof(MaxBatchSize), MaxBatchSize, "at least 1");
        Require(MaxBatchBytes >= 1, nameof(MaxBatchBytes), MaxBatchBytes, "at least 1");
        Require(BatchLinger >= TimeSpan.Zero, nameof(BatchLinger), BatchLinger, "zero or positive");
        Require(MaxBatchesInFlight >= 1, nameof(MaxBatchesInFlight), MaxBatchesInFlight, "at least 1");
        Require(BatchQueueCapacity >= 1, nameof(BatchQueueCapacity), BatchQueueCapacity, "at least 1");
    }

    private static void Require(bool condition, string setting, object value, string expectation)
    {
        if (!condition)
        {
            throw new ArgumentException($"ChronoqClientOptions.{setting} must be {expectation}, not {value}.", setting);
        }
    }
}
