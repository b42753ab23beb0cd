using System.Net.Sockets;
using Npgsql;

namespace Chronoq.Storage.Postgres.Internal;

/// <summary>
/// Sorts failures into those worth another attempt within the deadline and those that are not.
/// Retrying a whole commit is safe because it is idempotent: upserts write full rows, deletes of
/// absent rows do nothing, and the high-water mark only rises (GREATEST). So a commit whose outcome
/// is unknown (the connection died after COMMIT was sent) can simply be sent again.
/// </summary>
internal static class StorageFault
{
    public static bool IsTransient(Exception exception) => exception switch
    {
        // Covers connection refused/reset, IO errors, serialization failures, admin shutdown,
        // too many connections and the like, as classified by Npgsql from SQL state and cause.
        NpgsqlException npgsql => npgsql.IsTransient,
        IOException or SocketException or TimeoutException => true,
        _ => false,
    };

    /// <summary>
    /// True when the physical connection is gone, so other idle pooled connections to the same
    /// server are probably dead too (a restarted server) and the pool should be cleared.
    /// </summary>
    public static bool BrokeConnection(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.SqlState is "57P01" or "57P02" or "57P03", // admin/crash shutdown, cannot connect now
        NpgsqlException npgsql => npgsql.InnerException is IOException or SocketException or EndOfStreamException || npgsql.IsTransient,
        IOException or SocketException => true,
        _ => false,
    };
}
