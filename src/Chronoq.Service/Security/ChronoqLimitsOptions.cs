namespace Chronoq.Service.Security;

/// <summary>
/// Connection-level limits of the gRPC and HTTP endpoints, bound from <c>Chronoq:Limits</c> and
/// applied to Kestrel. The request-header limits are answered with a gRPC RESOURCE_EXHAUSTED naming
/// the setting; Kestrel itself enforces them only as a backstop at twice the configured value. The per-message limits live elsewhere: <c>Chronoq:MaxReceiveMessageSize</c>
/// (whole request message) and <c>Chronoq:Engine:*</c> (<c>MaxBodyBytes</c>, <c>MaxBatchItems</c>,
/// <c>MaxTopicsPerReserve</c>, <c>MaxPrefetch</c>, <c>MaxJobs</c>, <c>MaxTopics</c>, <c>MaxKeyLength</c>, <c>MaxDelay</c>, <c>MaxQueuedCommands</c>).
/// </summary>
public sealed class ChronoqLimitsOptions
{
    /// <summary>The configuration section the options bind from.</summary>
    public const string SectionName = "Chronoq:Limits";

    /// <summary>
    /// Most open TCP connections, both endpoints together; Kestrel closes any beyond it at once.
    /// Default 10,000: far above what SDK clients need (they multiplex over a few connections)
    /// while bounding sockets and per-connection buffers against a connection flood.
    /// </summary>
    public long MaxConnections { get; set; } = 10_000;

    /// <summary>
    /// Most concurrent HTTP/2 streams (calls) per connection, advertised to clients, which queue or
    /// open another connection beyond it. Default 1000: every consumer holds a Reserve stream, and an
    /// SDK multiplexes many over one connection.
    /// </summary>
    public int MaxStreamsPerConnection { get; set; } = 1000;

    /// <summary>Largest total of a request's headers (HPACK-decoded, name + value + 32 per field as HTTP/2 counts), in bytes. Default 32 KiB, Kestrel's default; metadata is small.</summary>
    public int MaxRequestHeadersTotalSize { get; set; } = 32 * 1024;

    /// <summary>Largest single HTTP/2 header field (name + value), in bytes. Default 16 KiB, Kestrel's default.</summary>
    public int MaxRequestHeaderFieldSize { get; set; } = 16 * 1024;

    /// <summary>Most headers in one request. Default 100, Kestrel's default.</summary>
    public int MaxRequestHeaderCount { get; set; } = 100;
}
