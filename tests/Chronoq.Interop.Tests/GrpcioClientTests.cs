using Chronoq.Interop.Tests.Infrastructure;

namespace Chronoq.Interop.Tests;

/// <summary>python3-grpcio's client against the Chronoq server: one test per check of chronoq_client_checks.py.</summary>
public sealed class GrpcioClientTests(GrpcioClientChecksFixture checks) : ClientChecksTests(checks), IClassFixture<GrpcioClientChecksFixture>
{
}
