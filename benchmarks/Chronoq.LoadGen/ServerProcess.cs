using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Chronoq.Sdk;
using Chronoq.Protocol.Grpc;
using Chronoq.Sdk.Transport;

namespace Chronoq.LoadGen;

/// <summary>What the RECOVERY workload needs to start a durable server of its own.</summary>
/// <param name="ServerDll">The built Chronoq.Service.dll to run with <c>dotnet</c>.</param>
/// <param name="ConnectionString">The PostgreSQL database the server keeps its jobs in.</param>
/// <param name="Jobs">How many live jobs the restarted server must recover.</param>
internal sealed record RecoverySettings(string ServerDll, string ConnectionString, int Jobs);

/// <summary>A Chronoq server run as a child process on free loopback ports, for restart measurements.</summary>
internal sealed class ServerProcess
{
    /// <summary>A server that does not serve within this time is taken as failed: recovery is meant to take seconds.</summary>
    private static readonly TimeSpan StartLimit = TimeSpan.FromMinutes(2);

    private readonly Process _process;
    private readonly long _startedAt;
    private bool _killed;

    private ServerProcess(Process process, Uri address, long startedAt)
    {
        _process = process;
        Address = address;
        _startedAt = startedAt;
    }

    public Uri Address { get; }

    public static ServerProcess Start(RecoverySettings settings)
    {
        var grpcPort = FreeLoopbackPort();
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(settings.ServerDll))!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add(Path.GetFullPath(settings.ServerDll));
        info.ArgumentList.Add($"--Chronoq:GrpcUrl=http://127.0.0.1:{grpcPort}");
        info.ArgumentList.Add($"--Chronoq:HttpUrl=http://127.0.0.1:{FreeLoopbackPort()}");
        info.ArgumentList.Add($"--ConnectionStrings:Chronoq={settings.ConnectionString}");
        info.ArgumentList.Add("--Logging:LogLevel:Default=Warning");
        // The recovery and engine start-up lines, to split the time to serving into its parts.
        info.ArgumentList.Add("--Logging:LogLevel:Chronoq=Information");
        var startedAt = Stopwatch.GetTimestamp();
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start dotnet {settings.ServerDll}");
        // Drained so a chatty server never blocks on a full pipe.
        process.OutputDataReceived += (_, line) =>
        {
            if (line.Data is { } text && (text.Contains("Recovered", StringComparison.Ordinal) || text.Contains("Engine started", StringComparison.Ordinal)))
            {
                Console.WriteLine($"    +{Stopwatch.GetElapsedTime(startedAt).TotalSeconds:F2} s server:{text}");
            }
        };
        process.ErrorDataReceived += static (_, line) =>
        {
            if (line.Data is not null)
            {
                Console.Error.WriteLine($"  server: {line.Data}");
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ServerProcess(process, new Uri($"http://127.0.0.1:{grpcPort}"), startedAt);
    }

    /// <summary>
    /// Polls GetServerStats every 5 ms until it answers with at least <paramref name="minimumReady"/>
    /// READY jobs; returns the seconds since the process was started and the READY count.
    /// </summary>
    public async Task<(double Seconds, ulong Ready)> WaitServingAsync(ulong minimumReady)
    {
        await using var client = new ChronoqClient(new ChronoqClientOptions { Address = Address });
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the server exited with code {_process.ExitCode} before serving");
            }

            if (Stopwatch.GetElapsedTime(_startedAt) > StartLimit)
            {
                throw new TimeoutException($"the server did not serve {minimumReady} READY jobs within {StartLimit.TotalSeconds} s");
            }

            try
            {
                using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                var stats = await client.GetServerStatsAsync(attempt.Token);
                if (stats.Ready >= minimumReady)
                {
                    return (Stopwatch.GetElapsedTime(_startedAt).TotalSeconds, stats.Ready);
                }
            }
            catch (Exception ex) when (ex is RpcException or OperationCanceledException or HttpRequestException)
            {
                // Not listening yet, or still recovering (UNAVAILABLE).
            }

            await Task.Delay(5);
        }
    }

    /// <summary>Ends the server as a crash would (SIGKILL) and waits for it to be gone.</summary>
    public void Kill()
    {
        if (_killed)
        {
            return;
        }

        _killed = true;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.WaitForExit();
        _process.Dispose();
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
