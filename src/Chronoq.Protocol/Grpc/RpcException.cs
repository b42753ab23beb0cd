namespace Chronoq.Protocol.Grpc;

/// <summary>
/// A gRPC call ended with a non-OK status. Thrown by handlers on the server (and mapped to the
/// status on the wire) and by the client when a call's status is not OK.
/// </summary>
public sealed class RpcException : Exception
{
    /// <summary>Creates the exception for a status code and a message meant for the caller.</summary>
    public RpcException(StatusCode statusCode, string detail)
        : base($"Status(StatusCode=\"{statusCode}\", Detail=\"{detail}\")")
    {
        StatusCode = statusCode;
        Detail = detail;
    }

    /// <summary>The status code.</summary>
    public StatusCode StatusCode { get; }

    /// <summary>The status message (grpc-message), meant for the caller.</summary>
    public string Detail { get; }
}
