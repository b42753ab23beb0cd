using Chronoq.Interop.Tests.Infrastructure;

namespace Chronoq.Interop.Tests;

/// <summary>
/// @grpc/grpc-js's client against the Chronoq server: one test per check of chronoq_client_checks.js,
/// plus reflection, which only node has a client for (Debian ships no python reflection module).
/// </summary>
public sealed class GrpcJsClientTests(GrpcJsClientChecksFixture checks) : ClientChecksTests(checks), IClassFixture<GrpcJsClientChecksFixture>
{
    [Fact]
    public void ReflectionV1_ListServices_NamesChronoqHealthAndReflection() => Checks.AssertPassed("reflection_v1_lists_services");

    [Fact]
    public void ReflectionV1_FileContainingChronoq_DescribesItsMethods() => Checks.AssertPassed("reflection_v1_describes_chronoq");

    [Fact]
    public void ReflectionV1Alpha_ListServices_NamesChronoqHealthAndReflection() => Checks.AssertPassed("reflection_v1alpha_lists_services");

    [Fact]
    public void ReflectionV1Alpha_FileContainingChronoq_DescribesItsMethods() => Checks.AssertPassed("reflection_v1alpha_describes_chronoq");
}
