using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Chronoq.Service.Tests.Api;

/// <summary>
/// The real server binary (<c>dotnet Chronoq.Service.dll</c>) as a child process on loopback
/// ports it binds itself, so a test can kill it with SIGKILL. Its output is kept for failure messages.
/// </summary>
internal sealed partial class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServerProcess(Process process) => _process = process;

    /// <summary>The gRPC endpoint the server bound, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri GrpcAddress { get; private set; } = null!;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts the server with <paramref name="environment"/> and waits until chronoq.v1.Chronoq is SERVING.</summary>
    public static async Task<ServerProcess> StartAsync(IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Chronoq.Service.dll"));
        // Port 0, read back from the server's start-up line: a port picked here and bound by the
        // server a second later could be taken in between, by another test's server (which would
        // then answer this test's calls) or by an outgoing connection.
        start.Environment["Chronoq__GrpcUrl"] = "http://127.0.0.1:0";
        start.Environment["Chronoq__HttpUrl"] = "http://127.0.0.1:0";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        // Chronoq's own start-up lines: the listening line names the bound port; the recovery and
        // engine lines explain a failure.
        start.Environment["Logging__LogLevel__Chronoq"] = "Information";
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start };
        var server = new ServerProcess(process);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException("could not start the server process");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await server.WaitServingAsync(cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>SIGKILL: no shutdown, no flush, nothing.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            // One signal, sent at once: the dotnet host runs the server in this one process, and
            // walking the process tree first (a scan of /proc) can take long enough on a busy
            // machine for every call in flight to finish before the kill.
            _process.Kill();
        }

        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    private async Task WaitServingAsync(CancellationToken cancellationToken)
    {
        var exited = _process.WaitForExitAsync(cancellationToken);
        if (await Task.WhenAny(_listening.Task, exited) != _listening.Task)
        {
            await exited; // throws if it was the cancellation
            throw new InvalidOperationException($"the server exited with {_process.ExitCode} before listening:\n{Output}");
        }

        GrpcAddress = await _listening.Task;
        using var client = new ApiClient(GrpcAddress);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the server exited with {_process.ExitCode}:\n{Output}");
            }

            try
            {
                if (await client.CheckHealthAsync() == Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    return;
                }
            }
            catch (Chronoq.Protocol.Grpc.RpcException)
            {
                // Not serving yet.
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (!_listening.Task.IsCompleted && ListeningLine().Match(line) is { Success: true } match)
        {
            _listening.TrySetResult(new Uri(match.Groups["address"].Value));
        }
    }

    /// <summary>The host's start-up line (HostLog.Started), which names the endpoints as bound.</summary>
    [GeneratedRegex(@"listening: gRPC on (?<address>\S+) ", RegexOptions.CultureInvariant)]
    private static partial Regex ListeningLine();
}
