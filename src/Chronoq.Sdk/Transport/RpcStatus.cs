using Chronoq.Protocol.Grpc;

namespace Chronoq.Sdk.Transport;

/// <summary>How a call ended: the gRPC status code and its message.</summary>
/// <param name="Code">The status code.</param>
/// <param name="Detail">The status message (already percent-decoded); empty when none was sent.</param>
public readonly record struct RpcStatus(StatusCode Code, string Detail)
{
    /// <summary>The status of a call that succeeded.</summary>
    public static RpcStatus Ok { get; } = new(StatusCode.OK, string.Empty);

    /// <summary>The exception the client throws for this status.</summary>
    public RpcException ToException() => new(Code, Detail);
}
