namespace Chronoq.Interop.Tests.Infrastructure;

/// <summary>A running server that implements grpc.health.v1.Health and chronoq.interop.v1.InteropTest.</summary>
public interface IInteropServer
{
    /// <summary>The server's h2c address, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    Uri Address { get; }

    /// <summary>Each server's limit on concurrent streams per HTTP/2 connection, as the fixture set it.</summary>
    int MaxConcurrentStreams { get; }
}
