using Microsoft.Extensions.Logging;

namespace Chronoq.Sdk.Internal;

/// <summary>The SDK's log messages, declared once.</summary>
internal static partial class SdkLog
{
    [LoggerMessage(1, LogLevel.Warning, "Touching job {JobId} before its TTR deadline failed; it may be delivered again.")]
    public static partial void AutoTouchFailed(ILogger logger, ulong jobId, Exception exception);

    [LoggerMessage(2, LogLevel.Warning, "Call {Method} failed with UNAVAILABLE (attempt {Attempt}); retrying in {Backoff}.")]
    public static partial void RetryingCall(ILogger logger, string method, int attempt, TimeSpan backoff);

    [LoggerMessage(10, LogLevel.Warning, "Worker for topic '{Topic}': the Reserve stream failed; reconnecting in {Backoff}.")]
    public static partial void ReserveStreamFailed(ILogger logger, string topic, TimeSpan backoff, Exception exception);

    [LoggerMessage(11, LogLevel.Warning, "Worker for topic '{Topic}': job {JobId} failed on attempt {Attempt}; released for a retry in {Delay}.")]
    public static partial void JobRetrying(ILogger logger, string topic, ulong jobId, int attempt, TimeSpan delay, Exception exception);

    [LoggerMessage(12, LogLevel.Error, "Worker for topic '{Topic}': job {JobId} failed on attempt {Attempt} of {MaxAttempts}; buried. Last error: {LastError}")]
    public static partial void JobBuried(ILogger logger, string topic, ulong jobId, int attempt, int maxAttempts, string lastError, Exception exception);

    [LoggerMessage(13, LogLevel.Warning, "Worker for topic '{Topic}': settling job {JobId} failed; the server will return it to READY when its TTR runs out.")]
    public static partial void SettleFailed(ILogger logger, string topic, ulong jobId, Exception exception);

    [LoggerMessage(14, LogLevel.Warning, "Worker for topic '{Topic}': job {JobId} could not be read as {Type}; buried.")]
    public static partial void JobUnreadable(ILogger logger, string topic, ulong jobId, string type, Exception exception);

    [LoggerMessage(15, LogLevel.Information, "Worker for topic '{Topic}' stopping: {InFlight} handler(s) in flight, {Waiting} job(s) not started go back to READY when the stream closes.")]
    public static partial void WorkerStopping(ILogger logger, string topic, int inFlight, int waiting);

    [LoggerMessage(16, LogLevel.Warning, "Worker for topic '{Topic}': {Count} handler(s) did not finish within the shutdown timeout and were cancelled.")]
    public static partial void ShutdownTimedOut(ILogger logger, string topic, int count);
}
