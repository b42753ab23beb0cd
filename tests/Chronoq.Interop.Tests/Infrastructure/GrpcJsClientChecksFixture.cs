namespace Chronoq.Interop.Tests.Infrastructure;

/// <summary>tests/interop/node/chronoq_client_checks.js (@grpc/grpc-js) against a Chronoq server.</summary>
public sealed class GrpcJsClientChecksFixture : ClientChecksFixture
{
    protected override (string Interpreter, string Directory, string Script) Program =>
        (RepositoryPaths.Node, RepositoryPaths.NodeScripts, "chronoq_client_checks.js");
}
