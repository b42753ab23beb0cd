using System.Security.Cryptography.X509Certificates;
using Chronoq.Service.Internal;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Options;

namespace Chronoq.Service.Security.Internal;

/// <summary>
/// Sets Kestrel's HTTPS defaults for mutual TLS: the mode, and a chain check against the configured
/// CA only. Registered before the endpoint set-up so the defaults exist when the gRPC endpoint
/// calls <c>UseHttps</c>, which copies them.
/// </summary>
internal sealed class ClientCertificateValidation(IOptions<ChronoqClientCertificateOptions> options, IOptions<ChronoqOptions> server) : IConfigureOptions<KestrelServerOptions>
{
    public void Configure(KestrelServerOptions kestrel)
    {
        var settings = options.Value;
        if (settings.ClientCertificateMode == ClientCertificateMode.NoCertificate
            || !EndpointAddress.TryParse(server.Value.GrpcUrl, out var grpc) || !grpc.IsHttps)
        {
            return;
        }

        var authorities = new X509Certificate2Collection();
        authorities.ImportFromPemFile(settings.ClientCertificateAuthorityPath!);
        kestrel.ConfigureHttpsDefaults(https =>
        {
            https.ClientCertificateMode = settings.ClientCertificateMode;
            https.ClientCertificateValidation = (certificate, _, _) => ChainsTo(certificate, authorities);
        });
    }

    // The platform's verdict (sslPolicyErrors) is against the system store, which a private CA is
    // not in: build the chain again trusting the configured authorities alone.
    private static bool ChainsTo(X509Certificate2 certificate, X509Certificate2Collection authorities)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);

        // No CRL/OCSP endpoints exist for a private CA and the server must not call out to fetch them.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.2"));
        return chain.Build(certificate);
    }
}
