using Chronoq.Interop.Tests.Infrastructure;

namespace Chronoq.Interop.Tests;

/// <summary>The C# client against Chronoq's own server transport on Kestrel over loopback.</summary>
public sealed class ChannelAgainstChronoqServerTests(ChronoqServerFixture server) : ChannelConformanceTests<ChronoqServerFixture>(server);
