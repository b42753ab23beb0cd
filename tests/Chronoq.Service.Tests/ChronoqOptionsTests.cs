using Chronoq.Service.Internal;
using Chronoq.Testing;
using Microsoft.Extensions.Options;

namespace Chronoq.Service.Tests;

public sealed class ChronoqOptionsTests
{
    [Theory]
    [InlineData("Chronoq:GrpcUrl", "not a url")]
    [InlineData("Chronoq:GrpcUrl", "http://example.com:50051")]
    [InlineData("Chronoq:GrpcUrl", "http://127.0.0.1:50051/path")]
    [InlineData("Chronoq:HttpUrl", "ftp://127.0.0.1:8080")]
    [InlineData("Chronoq:MaxReceiveMessageSize", "0")]
    [InlineData("Chronoq:MaxSendMessageSize", "-5")]
    [InlineData("Chronoq:Tls:CertificatePath", "/no/such/cert.pfx")]
    public async Task StartAsync_InvalidSetting_FailsNamingTheSetting(string setting, string value)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => LoopbackServer.StartAsync(
            options =>
            {
                options.Configuration[setting] = value;
                if (setting.StartsWith("Chronoq:Tls", StringComparison.Ordinal))
                {
                    options.Configuration["Chronoq:GrpcUrl"] = "https://127.0.0.1:0";
                }
            },
            timeout.Token));

        Assert.Contains(setting, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_Defaults_Succeed()
    {
        var result = new ChronoqOptionsValidator().Validate(null, new ChronoqOptions());

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Validate_HttpsWithoutCertificate_NamesTlsSetting()
    {
        var result = new ChronoqOptionsValidator().Validate(null, new ChronoqOptions { GrpcUrl = "https://0.0.0.0:443" });

        Assert.True(result.Failed);
        Assert.Contains("Chronoq:Tls:CertificatePath", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_Defaults_GrpcIsHttp2OnlyOnLoopback()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using var server = await LoopbackServer.StartAsync(cancellationToken: timeout.Token);

        Assert.Equal("127.0.0.1", server.GrpcAddress.Host);
        Assert.NotEqual(0, server.GrpcAddress.Port);
        Assert.NotEqual(server.GrpcAddress.Port, server.HttpAddress.Port);
        Assert.Contains(server.Logs, log => log.EventId.Name == "Started" && log.Message.Contains(server.GrpcAddress.ToString(), StringComparison.Ordinal));
    }
}
