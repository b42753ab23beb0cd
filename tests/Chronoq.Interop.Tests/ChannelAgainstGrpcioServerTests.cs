using Chronoq.Interop.Tests.Infrastructure;

namespace Chronoq.Interop.Tests;

/// <summary>The C# client against python3-grpcio's server (tests/interop/python/interop_server.py).</summary>
public sealed class ChannelAgainstGrpcioServerTests(GrpcioServerFixture server) : ChannelConformanceTests<GrpcioServerFixture>(server);
