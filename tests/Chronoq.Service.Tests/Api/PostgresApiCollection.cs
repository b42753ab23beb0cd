using Chronoq.Testing.Postgres;

namespace Chronoq.Service.Tests.Api;

/// <summary>One throwaway PostgreSQL cluster for the API tests in durable mode; one database per test.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresApiCollection : ICollectionFixture<PostgresCluster>
{
    public const string Name = "api-postgres";
}
