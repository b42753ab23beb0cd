namespace Chronoq.Service;

/// <summary>
/// The TLS certificate of the gRPC endpoint (section <c>Chronoq:Tls</c>): either a PFX file
/// (<see cref="CertificatePath"/> + optional <see cref="CertificatePassword"/>) or PEM files
/// (<see cref="CertificatePath"/> + <see cref="KeyPath"/>). All default to unset.
/// </summary>
public sealed class ChronoqTlsOptions
{
    /// <summary>Path of the certificate: a .pfx/.p12 file, or a PEM certificate when <see cref="KeyPath"/> is set.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>Password of the PFX file, if any.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>Path of the PEM private key that goes with a PEM <see cref="CertificatePath"/>.</summary>
    public string? KeyPath { get; set; }
}
