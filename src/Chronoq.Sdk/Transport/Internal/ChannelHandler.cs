using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Chronoq.Sdk.Transport.Internal;

/// <summary>Builds the <see cref="SocketsHttpHandler"/> a channel sends its calls through.</summary>
internal static class ChannelHandler
{
    public static SocketsHttpHandler Create(Uri address, ChronoqChannelOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = options.EnableMultipleHttp2Connections,
            KeepAlivePingDelay = options.KeepAlivePingDelay,
            KeepAlivePingTimeout = options.KeepAlivePingTimeout,
            KeepAlivePingPolicy = options.KeepAlivePingPolicy,
            ConnectTimeout = options.ConnectTimeout,

            // gRPC is not HTTP browsing: no proxy (h2c prior knowledge does not cross one), no
            // redirects, no cookies, no content decompression (compression is per message).
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,

            // Streams of jobs deliver many small messages: start with a 1 MiB window rather than
            // 64 KiB so a fast producer is not throttled while the window auto-tunes upwards.
            InitialHttp2StreamWindowSize = 1024 * 1024,
        };

        if (address.Scheme == Uri.UriSchemeHttps)
        {
            handler.SslOptions.ApplicationProtocols = [SslApplicationProtocol.Http2];
            handler.SslOptions.ClientCertificates = options.ClientCertificates;
            handler.SslOptions.RemoteCertificateValidationCallback = options.ServerCertificateValidation
                ?? (options.TrustedCertificateAuthorities is { } authorities ? TrustOnly(authorities) : null);
        }

        return handler;
    }

    // Validates the server's chain against the given authorities alone, still requiring the name
    // to match and the certificate to be present.
    private static RemoteCertificateValidationCallback TrustOnly(X509Certificate2Collection authorities) =>
        (_, certificate, _, errors) =>
        {
            if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
            {
                return false;
            }

            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            if (certificate is X509Certificate2 typed)
            {
                return chain.Build(typed);
            }

            using var loaded = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            return chain.Build(loaded);
        };
}
