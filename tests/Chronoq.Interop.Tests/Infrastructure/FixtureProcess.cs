using System.Diagnostics;
using System.Text;

namespace Chronoq.Interop.Tests.Infrastructure;

/// <summary>
/// A python or node process of the interop suite. Its standard input stays open for its whole
/// life (the fixture servers stop when it closes); output is collected line by line so a failure
/// can show it. Disposing closes stdin, waits briefly, then kills the process tree.
/// </summary>
internal sealed class FixtureProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly List<string> _stdout = [];
    private readonly object _gate = new();
    private TaskCompletionSource<string>? _lineWaiter;
    private string? _waitedPrefix;

    private FixtureProcess(Process process)
    {
        _process = process;
    }

    /// <summary>Everything the process wrote to stderr so far.</summary>
    public string StandardError
    {
        get
        {
            lock (_gate)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Every stdout line so far.</summary>
    public IReadOnlyList<string> StandardOutput
    {
        get
        {
            lock (_gate)
            {
                return [.. _stdout];
            }
        }
    }

    public static FixtureProcess Start(string fileName, string workingDirectory, params string[] arguments)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // No .pyc files in the work tree.
        info.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var fixture = new FixtureProcess(process);
        process.OutputDataReceived += (_, e) => fixture.OnStdout(e.Data);
        process.ErrorDataReceived += (_, e) => fixture.OnStderr(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return fixture;
    }

    /// <summary>Waits for the first stdout line starting with <paramref name="prefix"/>; fails with the process's output on timeout or exit.</summary>
    public async Task<string> WaitForLineAsync(string prefix, TimeSpan timeout)
    {
        Task<string> waiter;
        lock (_gate)
        {
            var seen = _stdout.FirstOrDefault(line => line.StartsWith(prefix, StringComparison.Ordinal));
            if (seen is not null)
            {
                return seen;
            }

            _waitedPrefix = prefix;
            _lineWaiter = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            waiter = _lineWaiter.Task;
        }

        var exited = _process.WaitForExitAsync();
        var finished = await Task.WhenAny(waiter, exited, Task.Delay(timeout)).ConfigureAwait(false);
        if (finished == waiter)
        {
            return await waiter.ConfigureAwait(false);
        }

        throw new InvalidOperationException(
            $"{_process.StartInfo.FileName} {string.Join(' ', _process.StartInfo.ArgumentList)} did not print '{prefix}' "
            + (finished == exited ? $"(it exited with {_process.ExitCode})" : $"within {timeout}") + ". stderr:\n" + StandardError);
    }

    /// <summary>Waits for the process to exit; kills it and throws on timeout.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancellation.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{_process.StartInfo.FileName} did not finish within {timeout}. stdout:\n{string.Join('\n', StandardOutput)}\nstderr:\n{StandardError}");
        }

        // WaitForExit without a timeout drains the asynchronous output readers.
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.Close();
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                try
                {
                    await _process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill(entireProcessTree: true);
                }
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already gone.
        }

        _process.Dispose();
    }

    private void OnStdout(string? line)
    {
        if (line is null)
        {
            return;
        }

        TaskCompletionSource<string>? waiter = null;
        lock (_gate)
        {
            _stdout.Add(line);
            if (_lineWaiter is not null && line.StartsWith(_waitedPrefix!, StringComparison.Ordinal))
            {
                waiter = _lineWaiter;
                _lineWaiter = null;
            }
        }

        waiter?.TrySetResult(line);
    }

    private void OnStderr(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _stderr.AppendLine(line);
        }
    }
}
