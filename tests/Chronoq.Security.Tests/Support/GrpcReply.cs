using System.Net;

namespace Chronoq.Security.Tests.Support;

/// <summary>What came back from a raw gRPC call: HTTP status, grpc-status (headers or trailers), message and body bytes.</summary>
internal sealed record GrpcReply(HttpStatusCode HttpStatus, int? GrpcStatus, string? GrpcMessage, byte[] Body)
{
    public override string ToString() => $"HTTP {(int)HttpStatus}, grpc-status {GrpcStatus?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}: {GrpcMessage}";
}
