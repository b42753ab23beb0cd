using Chronoq.Security.Tests.Support;
using Chronoq.Service.Security;
using Chronoq.Testing;
using Microsoft.Extensions.Options;

namespace Chronoq.Security.Tests.Auth;

/// <summary>Start-up rules: no open queue on a public address by accident, bad key settings named, reflection protection.</summary>
public sealed class StartupAuthTests
{
    private static CancellationToken Timeout(out CancellationTokenSource source)
    {
        source = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return source.Token;
    }

    [Theory]
    [InlineData("http://0.0.0.0:0")]
    [InlineData("http://*:0")]
    [InlineData("http://10.1.2.3:0")]
    public async Task Start_NonLoopbackWithoutAuth_RefusesNamingTheSettings(string grpcUrl)
    {
        var token = Timeout(out var source);
        using (source)
        {
            var error = await Assert.ThrowsAsync<OptionsValidationException>(() => LoopbackServer.StartAsync(options => options.Configuration["Chronoq:GrpcUrl"] = grpcUrl, token));
            Assert.Contains("Chronoq:Auth:Enabled=true", error.Message, StringComparison.Ordinal);
            Assert.Contains("Chronoq:Auth:AllowUnauthenticated=true", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Start_EnabledWithBadKeySettings_RefusesNamingEachSetting()
    {
        var token = Timeout(out var source);
        using (source)
        {
            var error = await Assert.ThrowsAsync<OptionsValidationException>(() => LoopbackServer.StartAsync(
                options =>
                {
                    options.Configuration["Chronoq:Auth:Enabled"] = "true";
                    options.Configuration["Chronoq:Auth:Keys:0:Name"] = "bad";
                    options.Configuration["Chronoq:Auth:Keys:0:Hash"] = "not-hex";
                    options.Configuration["Chronoq:Auth:Keys:0:Grants:0:Roles:0"] = "write";
                    options.Configuration["Chronoq:Auth:Keys:0:Grants:0:Topics:0"] = "orders#";
                },
                token));
            Assert.Contains("Chronoq:Auth:Keys:0:Hash", error.Message, StringComparison.Ordinal);
            Assert.Contains("Chronoq:Auth:Keys:0:Grants:0:Roles:0 'write'", error.Message, StringComparison.Ordinal);
            Assert.Contains("Chronoq:Auth:Keys:0:Grants:0:Topics:0 'orders#'", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Reflection_ProtectedWithoutKey_Unauthenticated()
    {
        var token = Timeout(out var source);
        using (source)
        {
            var keys = new TestKeys();
            await using var server = await LoopbackServer.StartAsync(
                options =>
                {
                    keys.AddTo(options.Configuration);
                    options.Configuration["Chronoq:Auth:ProtectReflection"] = "true";
                },
                token);
            using var raw = new RawGrpc(server.GrpcAddress);
            var request = RawGrpc.Frame(new Grpc.Reflection.V1.ServerReflectionRequest { ListServices = "" });
            var anonymous = await raw.CallAsync("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", request, token);
            var withKey = await raw.CallAsync("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", request, token, headers => headers.Authorization = new("Bearer", keys.Admin));
            var health = await raw.CallAsync("/grpc.health.v1.Health/Check", RawGrpc.Frame(new Grpc.Health.V1.HealthCheckRequest()), token);
            Assert.Equal(16, anonymous.GrpcStatus);
            Assert.Equal(0, withKey.GrpcStatus);
            Assert.Equal(0, health.GrpcStatus);
        }
    }

    [Fact]
    public void TryRun_HashApiKeyFromStandardInput_PrintsSha256Hex()
    {
        using var output = new StringWriter();
        Assert.True(ApiKeyCommand.TryRun(["--hash-api-key"], new StringReader("abc\n"), output));

        // SHA-256("abc"), the FIPS 180-2 test vector.
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", output.ToString().Trim());
    }

    [Fact]
    public void TryRun_NewApiKey_PrintsKeyAndItsHash()
    {
        using var output = new StringWriter();
        Assert.True(ApiKeyCommand.TryRun(["--new-api-key", "ci"], TextReader.Null, output));
        var lines = output.ToString().Split('\n', StringSplitOptions.TrimEntries);
        var key = lines[0][(lines[0].LastIndexOf(' ') + 1)..];
        Assert.StartsWith("cq_", key, StringComparison.Ordinal);
        Assert.Contains($"Chronoq__Auth__Keys__N__Hash={ApiKeyHash.Compute(key)}", lines);
        Assert.False(ApiKeyCommand.TryRun([], TextReader.Null, output));
    }
}
