using System.Globalization;
using System.Text.Json;
using Chronoq.Testing;

namespace Chronoq.Interop.Tests.Infrastructure;

/// <summary>
/// Starts a Chronoq server, runs one client check script (grpcio or grpc-js) against it once per
/// test class, and keeps each check's outcome so every test asserts one check.
/// </summary>
public abstract class ClientChecksFixture : IAsyncLifetime
{
    // The server's receive limit, made explicit so the oversize check knows what to exceed.
    private const int ServerMaxMessageBytes = 4 * 1024 * 1024;

    // The whole script: ~15 checks, the slowest a 0.5 s deadline and 500 concurrent calls.
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(3);

    private readonly Dictionary<string, CheckResult> _results = new(StringComparer.Ordinal);
    private LoopbackServer? _server;

    /// <summary>What the script wrote to stderr (tracebacks of failed checks).</summary>
    public string StandardError { get; private set; } = string.Empty;

    /// <summary>The interpreter, its working directory and the script.</summary>
    protected abstract (string Interpreter, string Directory, string Script) Program { get; }

    public async Task InitializeAsync()
    {
        _server = await LoopbackServer.StartAsync(options =>
            options.Configuration["Chronoq:MaxReceiveMessageSize"] = ServerMaxMessageBytes.ToString(CultureInfo.InvariantCulture));
        var address = $"{_server.GrpcAddress.Host}:{_server.GrpcAddress.Port}";
        var (interpreter, directory, script) = Program;
        await using var process = FixtureProcess.Start(
            interpreter, directory, script, address, "--max-message-bytes", ServerMaxMessageBytes.ToString(CultureInfo.InvariantCulture));
        await process.WaitForExitAsync(ScriptTimeout);
        StandardError = process.StandardError;
        foreach (var line in process.StandardOutput)
        {
            if (!line.StartsWith('{'))
            {
                continue;
            }

            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            var result = new CheckResult(
                root.GetProperty("check").GetString()!,
                root.GetProperty("ok").GetBoolean(),
                root.GetProperty("detail").GetString() ?? string.Empty);
            _results[result.Check] = result;
        }
    }

    /// <summary>Fails unless the script ran <paramref name="check"/> and it passed; returns its detail.</summary>
    public string AssertPassed(string check)
    {
        Assert.True(_results.TryGetValue(check, out var result), $"The script did not report check '{check}'. Reported: {string.Join(", ", _results.Keys)}. stderr:\n{StandardError}");
        Assert.True(result.Ok, $"Check '{check}' failed: {result.Detail}\nstderr:\n{StandardError}");
        return result.Detail;
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
