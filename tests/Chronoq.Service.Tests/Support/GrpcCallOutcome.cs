using Chronoq.Protocol.Grpc;

namespace Chronoq.Service.Tests.Support;

/// <summary>How a raw call ended: its status, decoded message, and whether it was trailers-only.</summary>
internal sealed record GrpcCallOutcome(StatusCode Status, string? Message, bool TrailersOnly);
