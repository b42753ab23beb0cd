using Chronoq.Testing.Postgres;

namespace Chronoq.Operations.Tests.Shutdown;

/// <summary>One throwaway PostgreSQL cluster for the shutdown tests; one database per test.</summary>
[CollectionDefinition(Name)]
public sealed class ShutdownCollection : ICollectionFixture<PostgresCluster>
{
    public const string Name = "shutdown-postgres";
}
