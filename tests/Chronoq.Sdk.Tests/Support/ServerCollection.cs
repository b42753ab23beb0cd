namespace Chronoq.Sdk.Tests.Support;

/// <summary>The integration tests share one server and run one class at a time (the machine has two cores).</summary>
[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>
{
    public const string Name = "server";
}
