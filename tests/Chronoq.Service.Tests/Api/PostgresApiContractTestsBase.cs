using Chronoq.Service.Storage;
using Chronoq.Testing.Postgres;

namespace Chronoq.Service.Tests.Api;

/// <summary>
/// The API contract against a server on its own PostgreSQL database of the shared cluster; the
/// same database (and settings) again after a restart. Subclasses add settings and durable-only tests.
/// </summary>
public abstract class PostgresApiContractTestsBase(PostgresCluster cluster, string databaseName) : ChronoqApiContractTests
{
    private string? _connectionString;

    protected override string ExpectedStorage => "postgres";

    /// <summary>Settings on top of the connection string and a 3 s commit timeout.</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> ExtraSettings => [];

    protected override async Task<IReadOnlyDictionary<string, string?>> StorageConfigurationAsync(CancellationToken cancellationToken)
    {
        _connectionString = await cluster.CreateDatabaseAsync(databaseName, cancellationToken);
        return Configuration();
    }

    protected override Task<IReadOnlyDictionary<string, string?>> StorageConfigurationForRestartAsync() => Task.FromResult(Configuration());

    private IReadOnlyDictionary<string, string?> Configuration()
    {
        var settings = new Dictionary<string, string?>
        {
            [ChronoqStorageOptions.ConnectionStringSetting] = _connectionString,
            ["Chronoq:Storage:CommitTimeout"] = "00:00:03",
        };
        foreach (var (key, value) in ExtraSettings)
        {
            settings[key] = value;
        }

        return settings;
    }
}
