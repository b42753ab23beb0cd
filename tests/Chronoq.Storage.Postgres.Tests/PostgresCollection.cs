using Chronoq.Testing.Postgres;

namespace Chronoq.Storage.Postgres.Tests;

/// <summary>
/// One throwaway cluster for every test of the store. Tests in one collection run one at a time,
/// which the outage tests need: they stop and start the server under everyone.
/// </summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresCluster>
{
    public const string Name = "postgres";
}
