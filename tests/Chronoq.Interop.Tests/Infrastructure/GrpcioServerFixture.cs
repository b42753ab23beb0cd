namespace Chronoq.Interop.Tests.Infrastructure;

/// <summary>tests/interop/python/interop_server.py on python3-grpcio.</summary>
public sealed class GrpcioServerFixture : ScriptServerFixture
{
    protected override (string Interpreter, string Directory, string Script) Program =>
        (RepositoryPaths.Python, RepositoryPaths.PythonScripts, "interop_server.py");
}
