using System.Security.Cryptography.X509Certificates;
using Chronoq.Protocol.Grpc;
using Chronoq.Sdk;
using Chronoq.Security.Tests.Support;
using Chronoq.Testing;

namespace Chronoq.Security.Tests.Tls;

/// <summary>TLS on https://127.0.0.1 with a CA made in the test: the SDK trusting that CA, and client certificates required.</summary>
public sealed class MutualTlsTests : IDisposable
{
    private readonly TestCertificates _certificates = TestCertificates.Create();
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));

    private CancellationToken Token => _timeout.Token;

    public void Dispose()
    {
        _certificates.Dispose();
        _timeout.Dispose();
    }

    [Fact]
    public async Task Put_HttpsWithCustomCa_Succeeds()
    {
        await using var server = await StartAsync(requireClientCertificate: false);
        Assert.Equal("https", server.GrpcAddress.Scheme);
        await using var client = Client(server, clientCertificate: null);
        Assert.True((await client.PutAsync("tls", new byte[1], cancellationToken: Token)).Id > 0);
    }

    [Fact]
    public async Task Put_ClientCertificateFromTheCa_Succeeds()
    {
        await using var server = await StartAsync(requireClientCertificate: true);
        await using var client = Client(server, _certificates.Client);
        Assert.True((await client.PutAsync("tls", new byte[1], cancellationToken: Token)).Id > 0);
    }

    [Fact]
    public async Task Put_NoClientCertificateWhenRequired_Fails()
    {
        await using var server = await StartAsync(requireClientCertificate: true);
        await using var client = Client(server, clientCertificate: null);
        var error = await Assert.ThrowsAsync<RpcException>(() => client.PutAsync("tls", new byte[1], cancellationToken: Token));
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
    }

    [Fact]
    public async Task Put_ClientCertificateFromAnotherCa_Fails()
    {
        await using var server = await StartAsync(requireClientCertificate: true);
        using var stranger = TestCertificates.Create("Someone Else's CA");
        await using var client = Client(server, stranger.Client);
        var error = await Assert.ThrowsAsync<RpcException>(() => client.PutAsync("tls", new byte[1], cancellationToken: Token));
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
    }

    private Task<LoopbackServer> StartAsync(bool requireClientCertificate) => LoopbackServer.StartAsync(
        options =>
        {
            options.Configuration["Chronoq:GrpcUrl"] = "https://127.0.0.1:0";
            options.Configuration["Chronoq:Tls:CertificatePath"] = _certificates.ServerPfxPath;
            options.Configuration["Chronoq:Tls:CertificatePassword"] = "test";
            if (requireClientCertificate)
            {
                options.Configuration["Chronoq:Tls:ClientCertificateMode"] = "RequireCertificate";
                options.Configuration["Chronoq:Tls:ClientCertificateAuthorityPath"] = _certificates.AuthorityPemPath;
            }
        },
        Token);

    private ChronoqClient Client(LoopbackServer server, X509Certificate2? clientCertificate) => new(ChronoqClientOptions.Default with
    {
        Address = server.GrpcAddress,
        TrustedCertificateAuthorities = [_certificates.Authority],
        ClientCertificates = clientCertificate is null ? null : [clientCertificate],
        MaxCallAttempts = 1,
    });
}
