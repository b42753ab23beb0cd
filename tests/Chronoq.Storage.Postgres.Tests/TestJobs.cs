using Chronoq.Core.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Chronoq.Storage.Postgres.Tests;

/// <summary>Records, batches and stores for the tests.</summary>
internal static class TestJobs
{
    /// <summary>Every test is bounded: nothing here should take more than this.</summary>
    public static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(60);

    public static JobRecord Ready(ulong id, string topic = "orders", int bodyBytes = 16, string? key = null) => new()
    {
        Id = id,
        Topic = topic,
        Body = Body(id, bodyBytes),
        Priority = 1024,
        State = StoredJobState.Ready,
        ReadyAtMs = 1_700_000_000_000,
        TtrMs = 60_000,
        Key = key,
        CreatedAtMs = 1_700_000_000_000,
    };

    public static byte[] Body(ulong id, int length)
    {
        var body = new byte[length];
        for (int i = 0; i < body.Length; i++)
        {
            body[i] = (byte)(id * 31 + (ulong)i);
        }

        return body;
    }

    public static MutationBatch Batch(ulong highWater, params JobMutation[] mutations)
    {
        var batch = new MutationBatch { IdHighWater = highWater };
        batch.Mutations.AddRange(mutations);
        return batch;
    }

    /// <summary>A store; <paramref name="copyThreshold"/> 1 sends every new job by binary COPY, even one.</summary>
    public static Task<PostgresJobStore> StoreAsync(
        string connectionString,
        TimeSpan? commitTimeout = null,
        CancellationToken cancellationToken = default,
        int? copyThreshold = null,
        ILogger? logger = null,
        int? commitsInFlight = null) =>
        PostgresJobStore.CreateAsync(
            new PostgresStoreOptions
            {
                ConnectionString = connectionString,
                CommitTimeout = commitTimeout ?? TimeSpan.FromSeconds(5),
                CopyThreshold = copyThreshold ?? PostgresStoreOptions.Default.CopyThreshold,
                CommitsInFlight = commitsInFlight ?? PostgresStoreOptions.Default.CommitsInFlight,
            },
            logger,
            cancellationToken);

    public static async Task<T> ScalarAsync<T>(string connectionString, string sql, CancellationToken cancellationToken)
    {
        // Unpooled: a pooled connection would be dead after the outage tests restart the server.
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public static string DatabaseOf(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString).Database!;
}
