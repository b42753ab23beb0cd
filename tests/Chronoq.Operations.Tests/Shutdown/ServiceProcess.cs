using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Chronoq.Operations.Tests.Shutdown;

/// <summary>
/// The real server as its own process (<c>dotnet Chronoq.Service.dll</c>, as the container runs it)
/// on free loopback ports, with its console log captured. Disposing kills it if it is still running.
/// </summary>
internal sealed partial class ServiceProcess : IDisposable
{
    /// <summary>Start-up with recovery takes a few seconds on a loaded two-core machine; a minute means it is stuck.</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly TaskCompletionSource<(Uri Grpc, Uri Http)> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServiceProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
    }

    public Uri GrpcAddress { get; private set; } = null!;

    public Uri HttpAddress { get; private set; } = null!;

    public int Id => _process.Id;

    public string Log => string.Join('\n', _lines);

    public static async Task<ServiceProcess> StartAsync(IReadOnlyDictionary<string, string> environment)
    {
        var directory = AppContext.BaseDirectory;
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(directory, "Chronoq.Service.dll"));
        start.Environment["Chronoq__GrpcUrl"] = "http://127.0.0.1:0";
        start.Environment["Chronoq__HttpUrl"] = "http://127.0.0.1:0";
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        start.Environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var service = new ServiceProcess(new Process { StartInfo = start, EnableRaisingEvents = true });
        service._process.Start();
        service._process.BeginOutputReadLine();
        service._process.BeginErrorReadLine();
        try
        {
            var exited = service._process.WaitForExitAsync();
            var first = await Task.WhenAny(service._started.Task, exited).WaitAsync(StartTimeout);
            if (first != service._started.Task)
            {
                throw new InvalidOperationException($"The server exited with {service._process.ExitCode} before it listened:\n{service.Log}");
            }

            (service.GrpcAddress, service.HttpAddress) = await service._started.Task;
            return service;
        }
        catch
        {
            service.Dispose();
            throw;
        }
    }

    /// <summary>Sends SIGTERM, as docker stop and Kubernetes do.</summary>
    public async Task TerminateAsync()
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) } })!;
        await kill.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>Waits for the process to exit; returns its exit code and how long it took, or fails after <paramref name="limit"/>.</summary>
    public async Task<(int ExitCode, TimeSpan Elapsed)> WaitForExitAsync(TimeSpan limit)
    {
        var watch = Stopwatch.StartNew();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"The server did not exit within {limit}:\n{Log}");
        }

        return (_process.ExitCode, watch.Elapsed);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        _lines.Enqueue(line);
        var match = Listening().Match(line);
        if (match.Success)
        {
            _started.TrySetResult((new Uri(match.Groups[1].Value), new Uri(match.Groups[2].Value)));
        }
    }

    [GeneratedRegex(@"listening: gRPC on (\S+) \(.*\), HTTP on (\S+?);")]
    private static partial Regex Listening();
}
