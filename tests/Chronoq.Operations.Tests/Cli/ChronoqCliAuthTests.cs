using Chronoq.Cli;
using Chronoq.Service.Security;
using Chronoq.Testing;

namespace Chronoq.Operations.Tests.Cli;

/// <summary>
/// The <c>chronoq</c> command line against a server with authentication on. One class, so its tests
/// run one at a time: one of them sets the process-wide <see cref="CliContext.ApiKeyVariable"/>.
/// </summary>
public sealed class ChronoqCliAuthTests : IAsyncLifetime
{
    private readonly string _key = ApiKeyHash.NewKey();
    private LoopbackServer _server = null!;

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        _server = await LoopbackServer.StartAsync(
            options =>
            {
                options.Configuration["Chronoq:Auth:Enabled"] = "true";
                options.Configuration["Chronoq:Auth:Keys:0:Name"] = "cli";
                options.Configuration["Chronoq:Auth:Keys:0:Hash"] = ApiKeyHash.Compute(_key);
                options.Configuration["Chronoq:Auth:Keys:0:Grants:0:Roles:0"] = "produce";
                options.Configuration["Chronoq:Auth:Keys:0:Grants:0:Topics:0"] = "*";
            },
            timeout.Token);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Put_WithoutApiKey_FailsUnauthenticated()
    {
        var run = await CliRun.RunAsync(_server.GrpcAddress, "put", "cli-auth", "x");

        Assert.True(run.ExitCode == ExitCodes.Failed, run.ToString());
        Assert.Contains("Unauthenticated", run.Error, StringComparison.Ordinal);
        Assert.Contains("missing API key", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Put_WrongApiKey_FailsUnauthenticated()
    {
        var run = await CliRun.RunAsync(_server.GrpcAddress, "put", "cli-auth", "x", "--api-key", ApiKeyHash.NewKey());

        Assert.True(run.ExitCode == ExitCodes.Failed, run.ToString());
        Assert.Contains("Unauthenticated: unknown API key", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Put_WithApiKeyOption_Succeeds()
    {
        var run = await CliRun.RunAsync(_server.GrpcAddress, "put", "cli-auth", "x", "--api-key", _key);

        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        Assert.Empty(run.Error);
    }

    [Fact]
    public async Task Put_WithApiKeyVariable_Succeeds()
    {
        Environment.SetEnvironmentVariable(CliContext.ApiKeyVariable, _key);
        try
        {
            var run = await CliRun.RunAsync(_server.GrpcAddress, "put", "cli-auth", "x");

            Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        }
        finally
        {
            Environment.SetEnvironmentVariable(CliContext.ApiKeyVariable, null);
        }
    }
}
