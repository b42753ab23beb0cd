using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Chronoq.Storage.Postgres.Internal;

/// <summary>
/// Brings the store's schema to the version this build expects. Every migration runs in one
/// transaction under a transaction-scoped advisory lock, so two instances starting at once
/// serialize: the second sees the first one's versions and applies nothing.
/// </summary>
internal static class SchemaMigrator
{
    /// <summary>The schema version this build writes and reads.</summary>
    public const int LatestVersion = 1;

    public static async Task MigrateAsync(NpgsqlDataSource dataSource, StoreSql sql, ILogger logger, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

        // Taken before CREATE SCHEMA IF NOT EXISTS: that statement itself races (a unique violation
        // on pg_namespace) when two sessions create the same schema at once.
        await connection.ExecuteAsync(new CommandDefinition(
            "SELECT pg_advisory_xact_lock(@key)",
            new { key = MigrationLockKey(sql.Schema) },
            transaction,
            cancellationToken: cancellationToken)).ConfigureAwait(false);

        await connection.ExecuteAsync(new CommandDefinition(sql.CreateVersionTable, transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        int current = await connection.ExecuteScalarAsync<int>(new CommandDefinition(sql.SelectSchemaVersion, transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);

        if (current > LatestVersion)
        {
            throw new InvalidOperationException(
                $"Schema '{sql.Schema}' is at version {current}, newer than this build supports ({LatestVersion}). Run a newer Chronoq.");
        }

        for (int version = current + 1; version <= LatestVersion; version++)
        {
            await connection.ExecuteAsync(new CommandDefinition(sql.Migration(version), transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(sql.InsertSchemaVersion, new { version }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            PostgresStoreLog.MigrationApplied(logger, sql.Schema, version);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        if (current == LatestVersion)
        {
            PostgresStoreLog.SchemaUpToDate(logger, sql.Schema, current);
        }
    }

    /// <summary>
    /// A stable 64-bit key per schema (FNV-1a of its name), so stores in different schemas of one
    /// database do not wait for each other. string.GetHashCode is randomized per process: useless here.
    /// </summary>
    internal static long MigrationLockKey(string schema)
    {
        const ulong offsetBasis = 14695981039346656037;
        const ulong prime = 1099511628211;
        ulong hash = offsetBasis;
        foreach (char c in "chronoq.migrate:" + schema)
        {
            hash = (hash ^ c) * prime;
        }

        return unchecked((long)hash);
    }
}
