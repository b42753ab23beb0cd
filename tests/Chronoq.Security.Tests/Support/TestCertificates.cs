using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Chronoq.Security.Tests.Support;

/// <summary>A private CA made in the test, with a server certificate for 127.0.0.1 and a client certificate it issued.</summary>
internal sealed class TestCertificates : IDisposable
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    private TestCertificates(X509Certificate2 authority, X509Certificate2 server, X509Certificate2 client, string directory)
    {
        Authority = authority;
        Server = server;
        Client = client;
        Directory = directory;
    }

    public X509Certificate2 Authority { get; }

    public X509Certificate2 Server { get; }

    public X509Certificate2 Client { get; }

    /// <summary>Where the server's PFX (<c>server.pfx</c>, password <c>test</c>) and the CA's PEM (<c>ca.pem</c>) are written.</summary>
    public string Directory { get; }

    public string ServerPfxPath => Path.Combine(Directory, "server.pfx");

    public string AuthorityPemPath => Path.Combine(Directory, "ca.pem");

    public static TestCertificates Create(string authorityName = "Chronoq Test CA")
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest($"CN={authorityName}", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        var authority = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));

        var server = Issue(authority, caKey, "CN=127.0.0.1", ServerAuth, san: true, now);
        var client = Issue(authority, caKey, "CN=chronoq-test-client", ClientAuth, san: false, now);

        var directory = Path.Combine(Path.GetTempPath(), "chronoq-tls-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, "server.pfx"), server.Export(X509ContentType.Pkcs12, "test"));
        File.WriteAllText(Path.Combine(directory, "ca.pem"), authority.ExportCertificatePem());
        return new TestCertificates(X509CertificateLoader.LoadCertificate(authority.RawData), server, client, directory);
    }

    public void Dispose()
    {
        Authority.Dispose();
        Server.Dispose();
        Client.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    private static X509Certificate2 Issue(X509Certificate2 authority, ECDsa authorityKey, string subject, Oid usage, bool san, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage], false));
        if (san)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
        }

        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var issued = request.Create(authority.SubjectName, X509SignatureGenerator.CreateForECDsa(authorityKey), now.AddMinutes(-5), now.AddHours(12), serial);
        using var withKey = issued.CopyWithPrivateKey(key);

        // A PKCS#12 round trip gives a certificate whose key every platform's TLS stack can use.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12, "test"), "test");
    }
}
