using Microsoft.Extensions.Logging;

namespace Chronoq.Storage.Postgres.Internal;

/// <summary>The store's log messages, declared once.</summary>
internal static partial class PostgresStoreLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Applied schema migration {Version} to schema '{Schema}'.")]
    public static partial void MigrationApplied(ILogger logger, string schema, int version);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "Schema '{Schema}' is up to date at version {Version}.")]
    public static partial void SchemaUpToDate(ILogger logger, string schema, int version);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "{Operation} attempt {Attempt} failed with a transient error; retrying.")]
    public static partial void Retrying(ILogger logger, string operation, int attempt, Exception exception);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "{Operation} failed after {ElapsedMs} ms; PostgreSQL is unavailable.")]
    public static partial void Unavailable(ILogger logger, string operation, long elapsedMs, Exception exception);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Recovered {Jobs} jobs (id high-water {IdHighWater}) from schema '{Schema}' in {ElapsedMs} ms.")]
    public static partial void Recovered(ILogger logger, int jobs, ulong idHighWater, string schema, long elapsedMs);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "Ended the server session {Backend} of an abandoned commit (confirmed gone: {Ended}).")]
    public static partial void AbandonedCommitEnded(ILogger logger, int backend, bool ended);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "Could not end the server session {Backend} of an abandoned commit; it ends when PostgreSQL notices the closed connection.")]
    public static partial void AbandonedCommitUnconfirmed(ILogger logger, int backend, Exception exception);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "Ended {Sessions} session(s) of an earlier server on this database before recovery, so that no commit of theirs lands after it.")]
    public static partial void EarlierServerSessionsEnded(ILogger logger, int sessions);
}
