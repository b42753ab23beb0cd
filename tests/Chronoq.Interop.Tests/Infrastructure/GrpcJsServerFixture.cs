namespace Chronoq.Interop.Tests.Infrastructure;

/// <summary>tests/interop/node/interop_server.js on @grpc/grpc-js.</summary>
public sealed class GrpcJsServerFixture : ScriptServerFixture
{
    protected override (string Interpreter, string Directory, string Script) Program =>
        (RepositoryPaths.Node, RepositoryPaths.NodeScripts, "interop_server.js");
}
