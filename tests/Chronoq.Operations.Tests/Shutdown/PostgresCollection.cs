using Chronoq.Testing.Postgres;

namespace Chronoq.Operations.Tests.Shutdown;

/// <summary>One throwaway PostgreSQL cluster for the tests that need durable storage; one database per test.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresCluster>
{
    public const string Name = "operations-postgres";
}
