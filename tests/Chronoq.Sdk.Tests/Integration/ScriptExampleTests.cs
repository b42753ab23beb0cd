using System.Diagnostics;
using Chronoq.Sdk.Tests.Support;

namespace Chronoq.Sdk.Tests.Integration;

/// <summary>
/// The Python (grpcio) and Node (grpc-js) example clients run against a real server. They need
/// what scripts/install-test-prereqs.sh installs; without it they fail, they are not skipped.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ScriptExampleTests(ServerFixture fixture)
{
    [Fact]
    public async Task NodeExample_AgainstTheServer_PutsReservesAndDeletes()
    {
        var output = await RunAsync("node", Path.Combine(RepositoryRoot.Path, "examples", "node", "basic.js"));

        Assert.Contains("reserved job", output, StringComparison.Ordinal);
        Assert.Contains("hello from node", output, StringComparison.Ordinal);
        Assert.Contains("1 put, 1 deleted, 0 ready", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PythonExample_AgainstTheServer_PutsReservesAndDeletes()
    {
        // Debian's grpcio lives in the system python, not in whatever python3 comes first on PATH.
        var output = await RunAsync("/usr/bin/python3", Path.Combine(RepositoryRoot.Path, "examples", "python", "basic.py"));

        Assert.Contains("reserved job", output, StringComparison.Ordinal);
        Assert.Contains("hello from python", output, StringComparison.Ordinal);
        Assert.Contains("1 put, 1 deleted, 0 ready", output, StringComparison.Ordinal);
    }

    private async Task<string> RunAsync(string program, string script)
    {
        var address = fixture.Server.GrpcAddress;
        var start = new ProcessStartInfo(program)
        {
            ArgumentList = { script, "--address", $"{address.Host}:{address.Port}" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepositoryRoot.Path,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var output = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, $"{program} {script} exited {process.ExitCode}:{Environment.NewLine}{output}");
        return output;
    }
}
