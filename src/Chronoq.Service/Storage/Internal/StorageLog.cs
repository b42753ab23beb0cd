using Microsoft.Extensions.Logging;

namespace Chronoq.Service.Storage.Internal;

/// <summary>The log messages of storage selection, engine hosting and storage health, declared once.</summary>
internal static partial class StorageLog
{
    [LoggerMessage(300, LogLevel.Warning,
        "No connection string is configured (" + ChronoqStorageOptions.ConnectionStringSetting + "): jobs are kept in memory only and are NOT durable; they are lost when the server stops.",
        EventName = "MemoryStorage")]
    public static partial void MemoryStorage(ILogger logger);

    [LoggerMessage(301, LogLevel.Information, "Using PostgreSQL storage at {Endpoint}, schema {Schema}.", EventName = "PostgresStorage")]
    public static partial void PostgresStorage(ILogger logger, string endpoint, string schema);

    [LoggerMessage(302, LogLevel.Warning, "PostgreSQL at {Endpoint} is not usable yet; retrying in {RetryMs} ms (giving up after {StartupTimeout}).", EventName = "StartupRetry")]
    public static partial void StartupRetry(ILogger logger, string endpoint, long retryMs, TimeSpan startupTimeout, Exception exception);

    [LoggerMessage(303, LogLevel.Information, "Engine started with {Storage} storage; the Chronoq service is SERVING.", EventName = "EngineStarted")]
    public static partial void EngineStarted(ILogger logger, string storage);

    [LoggerMessage(304, LogLevel.Information, "Engine stopped; pending changes were committed or answered UNAVAILABLE.", EventName = "EngineStopped")]
    public static partial void EngineStopped(ILogger logger);

    [LoggerMessage(305, LogLevel.Warning, "Storage commits are failing; the Chronoq service reports NOT_SERVING until storage answers again.", EventName = "StorageFailing")]
    public static partial void StorageFailing(ILogger logger, Exception exception);

    [LoggerMessage(306, LogLevel.Information, "Storage answers again; the Chronoq service is SERVING.", EventName = "StorageRecovered")]
    public static partial void StorageRecovered(ILogger logger);
}
