namespace Chronoq.Service;

/// <summary>
/// Server settings, bound from the configuration section <c>Chronoq</c> (environment variables
/// follow the ASP.NET convention, e.g. <c>Chronoq__GrpcUrl</c>). Validated at start-up.
/// </summary>
public sealed class ChronoqOptions
{
    /// <summary>The configuration section the options bind from.</summary>
    public const string SectionName = "Chronoq";

    /// <summary>
    /// The gRPC endpoint, HTTP/2 only: <c>http://</c> for h2c, <c>https://</c> for TLS (then
    /// <see cref="Tls"/> names the certificate). The host is an IP address, <c>localhost</c> or
    /// <c>*</c>; port 0 picks a free port. Default <c>http://127.0.0.1:50051</c>.
    /// </summary>
    public string GrpcUrl { get; set; } = "http://127.0.0.1:50051";

    /// <summary>
    /// The plain HTTP/1.1 endpoint for health and metrics endpoints (HTTP/2 without TLS cannot
    /// share a port with HTTP/1.1).
    /// Default <c>http://127.0.0.1:8080</c>.
    /// </summary>
    public string HttpUrl { get; set; } = "http://127.0.0.1:8080";

    /// <summary>The largest request message the server accepts, in bytes. Default 4 MiB, as in every gRPC implementation.</summary>
    public int MaxReceiveMessageSize { get; set; } = 4 * 1024 * 1024;

    /// <summary>The largest response message the server sends, in bytes. Default unlimited (<see cref="int.MaxValue"/>).</summary>
    public int MaxSendMessageSize { get; set; } = int.MaxValue;

    /// <summary>The certificate for an <c>https://</c> <see cref="GrpcUrl"/>.</summary>
    public ChronoqTlsOptions Tls { get; set; } = new();
}
