using Chronoq.Interop.Tests.Infrastructure;

namespace Chronoq.Interop.Tests;

/// <summary>The C# client against @grpc/grpc-js's server (tests/interop/node/interop_server.js).</summary>
public sealed class ChannelAgainstGrpcJsServerTests(GrpcJsServerFixture server) : ChannelConformanceTests<GrpcJsServerFixture>(server);
