using System.Net.Http;
using System.Net.Sockets;
using System.Security.Authentication;
using Chronoq.Protocol.Grpc;

namespace Chronoq.Sdk.Transport.Internal;

/// <summary>
/// Maps a failure of the HTTP layer to the status the caller sees. A stream the server reset
/// maps by its HTTP/2 error code as the gRPC spec's table says; a connection that cannot be made
/// or is lost is UNAVAILABLE (retrying may help).
/// </summary>
internal static class CallFailure
{
    // HTTP/2 error codes (RFC 9113, section 7) that the gRPC spec maps to something other than INTERNAL.
    private const long RefusedStream = 0x7;
    private const long Cancel = 0x8;
    private const long EnhanceYourCalm = 0xb;
    private const long InadequateSecurity = 0xc;

    public static RpcStatus FromException(Exception exception)
    {
        for (var inner = exception; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case RpcException rpc:
                    return new RpcStatus(rpc.StatusCode, rpc.Detail);
                case HttpProtocolException protocol:
                    return FromHttp2ErrorCode(protocol.ErrorCode, protocol.Message);
                case AuthenticationException tls:
                    return new RpcStatus(StatusCode.Unavailable, "TLS handshake failed: " + tls.Message);
                case SocketException socket:
                    return new RpcStatus(StatusCode.Unavailable, "Connection failed: " + socket.Message);
            }
        }

        return exception switch
        {
            HttpRequestException or IOException => new RpcStatus(StatusCode.Unavailable, "Connection failed: " + exception.Message),
            _ => new RpcStatus(StatusCode.Internal, "The call failed in the client: " + exception.GetType().Name + ": " + exception.Message),
        };
    }

    /// <summary>Whether the server refused the stream (HTTP/2 REFUSED_STREAM): it did not process the request.</summary>
    public static bool IsRefusedStream(Exception exception)
    {
        for (var inner = exception; inner is not null; inner = inner.InnerException)
        {
            if (inner is HttpProtocolException { ErrorCode: RefusedStream })
            {
                return true;
            }
        }

        return false;
    }

    private static RpcStatus FromHttp2ErrorCode(long errorCode, string message)
    {
        var code = errorCode switch
        {
            RefusedStream => StatusCode.Unavailable,
            Cancel => StatusCode.Cancelled,
            EnhanceYourCalm => StatusCode.ResourceExhausted,
            InadequateSecurity => StatusCode.PermissionDenied,
            _ => StatusCode.Internal,
        };
        return new RpcStatus(code, $"The server reset the stream (HTTP/2 error 0x{errorCode:x}): {message}");
    }
}
