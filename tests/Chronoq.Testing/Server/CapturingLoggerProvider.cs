using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Chronoq.Testing.Server;

/// <summary>Keeps every log entry at or above a level, so a test can assert on them or fail on errors.</summary>
public sealed class CapturingLoggerProvider(LogLevel minimumLevel) : ILoggerProvider
{
    private readonly ConcurrentQueue<CapturedLog> _logs = new();

    /// <summary>The entries so far, in order.</summary>
    public IReadOnlyList<CapturedLog> Logs => [.. _logs];

    /// <inheritdoc/>
    public ILogger CreateLogger(string categoryName) => new CapturingLogger(categoryName, this);

    /// <inheritdoc/>
    public void Dispose()
    {
    }

    private sealed class CapturingLogger(string category, CapturingLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= owner.MinimumLevel;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                owner._logs.Enqueue(new CapturedLog(category, logLevel, eventId, formatter(state, exception), exception));
            }
        }
    }

    private LogLevel MinimumLevel { get; } = minimumLevel;
}
