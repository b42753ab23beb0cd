using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Chronoq.Service.Tests.Api;

/// <summary>
/// The real server binary (<c>dotnet Chronoq.Service.dll</c>) as a child process on free loopback
/// ports, so a test can kill it with SIGKILL. Its output is kept for failure messages.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServerProcess(Process process, Uri grpcAddress)
    {
        _process = process;
        GrpcAddress = grpcAddress;
    }

    public Uri GrpcAddress { get; }

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
        var grpcPort = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Chronoq.Service.dll"));
        start.Environment["Chronoq__GrpcUrl"] = $"http://127.0.0.1:{grpcPort}";
        start.Environment["Chronoq__HttpUrl"] = $"http://127.0.0.1:{FreePort()}";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the server process");
        var server = new ServerProcess(process, new Uri($"http://127.0.0.1:{grpcPort}/"));
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var client = new ApiClient(server.GrpcAddress);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the server exited with {process.ExitCode}:\n{server.Output}");
            }

            try
            {
                if (await client.CheckHealthAsync() == Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    return server;
                }
            }
            catch (Chronoq.Protocol.Grpc.RpcException)
            {
                // Not listening yet.
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>SIGKILL: no shutdown, no flush, nothing.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
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
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
