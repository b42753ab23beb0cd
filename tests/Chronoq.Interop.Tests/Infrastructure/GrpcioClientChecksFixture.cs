namespace Chronoq.Interop.Tests.Infrastructure;

/// <summary>tests/interop/python/chronoq_client_checks.py (python3-grpcio) against a Chronoq server.</summary>
public sealed class GrpcioClientChecksFixture : ClientChecksFixture
{
    protected override (string Interpreter, string Directory, string Script) Program =>
        (RepositoryPaths.Python, RepositoryPaths.PythonScripts, "chronoq_client_checks.py");
}
