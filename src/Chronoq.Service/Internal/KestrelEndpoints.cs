using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Chronoq.Service.Internal;

/// <summary>Binds the gRPC and HTTP endpoints and sets Kestrel's HTTP/2 limits.</summary>
internal static class KestrelEndpoints
{
    public static void Configure(KestrelServerOptions kestrel, ChronoqOptions options, ChronoqEndpoints endpoints)
    {
        var http2 = kestrel.Limits.Http2;

        // Each consumer holds a Reserve stream open for as long as it runs, and an SDK multiplexes
        // many of them over one connection; Kestrel's default of 100 would stall the 101st.
        http2.MaxStreamsPerConnection = 1000;

        // Larger windows than the defaults (96 KiB per stream, 128 KiB per connection) let a
        // 4 MiB message or a burst of jobs cross loopback or a LAN without stalling on
        // WINDOW_UPDATE round trips; per-connection memory stays bounded at 16 MiB.
        http2.InitialStreamWindowSize = 1024 * 1024;
        http2.InitialConnectionWindowSize = 16 * 1024 * 1024;

        // Reservations are tied to live streams: a peer that vanished without a FIN must be noticed
        // so its jobs go back to READY. A ping after 30 s of silence, dead after 20 s more, mirrors
        // what gRPC clients commonly use and stays under typical load-balancer idle timeouts.
        http2.KeepAlivePingDelay = TimeSpan.FromSeconds(30);
        http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(20);

        EndpointAddress.TryParse(options.GrpcUrl, out var grpc);
        EndpointAddress.TryParse(options.HttpUrl, out var http);
        Listen(kestrel, grpc!, listen =>
        {
            // h2c needs prior knowledge: with HTTP/1.1 also on, Kestrel could not tell the two apart.
            listen.Protocols = HttpProtocols.Http2;
            if (grpc!.IsHttps)
            {
                listen.UseHttps(LoadCertificate(options.Tls));
            }

            endpoints.SetGrpc(listen, grpc.IsHttps);
        });
        Listen(kestrel, http!, listen =>
        {
            // HTTP/1.1 only: over plain TCP Kestrel cannot offer HTTP/2 next to HTTP/1.1 (no ALPN), and
            // health probes and metrics scrapers speak HTTP/1.1.
            listen.Protocols = HttpProtocols.Http1;
            endpoints.SetHttp(listen);
        });
    }

    private static void Listen(KestrelServerOptions kestrel, EndpointAddress address, Action<ListenOptions> configure)
    {
        if (address.IsLocalhost)
        {
            kestrel.ListenLocalhost(address.Port, configure);
        }
        else if (address.Ip!.Equals(IPAddress.IPv6Any))
        {
            kestrel.ListenAnyIP(address.Port, configure);
        }
        else
        {
            kestrel.Listen(address.Ip, address.Port, configure);
        }
    }

    private static X509Certificate2 LoadCertificate(ChronoqTlsOptions tls)
    {
        var path = tls.CertificatePath!;
        return string.IsNullOrWhiteSpace(tls.KeyPath)
            ? X509CertificateLoader.LoadPkcs12FromFile(path, tls.CertificatePassword)
            : X509Certificate2.CreateFromPemFile(path, tls.KeyPath);
    }
}
