using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Chronoq.Service.Security;

/// <summary>
/// Mutual TLS on an <c>https://</c> gRPC endpoint, bound from <c>Chronoq:Tls</c> next to the
/// server certificate settings: <c>Chronoq:Tls:ClientCertificateMode</c> and
/// <c>Chronoq:Tls:ClientCertificateAuthorityPath</c>. A client certificate authenticates the
/// connection; API keys (<c>Chronoq:Auth</c>) still decide what each call may do.
/// </summary>
public sealed class ChronoqClientCertificateOptions
{
    /// <summary>The configuration section the options bind from (shared with <see cref="ChronoqTlsOptions"/>).</summary>
    public const string SectionName = "Chronoq:Tls";

    /// <summary>
    /// <c>NoCertificate</c> (default), <c>AllowCertificate</c> (checked when sent) or
    /// <c>RequireCertificate</c> (the TLS handshake fails without a valid one).
    /// </summary>
    public ClientCertificateMode ClientCertificateMode { get; set; } = ClientCertificateMode.NoCertificate;

    /// <summary>
    /// PEM (or DER) file of the certificate authority (or authorities) client certificates must
    /// chain to; only these are trusted, not the system store. Required unless the mode is
    /// <c>NoCertificate</c>.
    /// </summary>
    public string? ClientCertificateAuthorityPath { get; set; }
}
