using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Chronoq.Protocol.Grpc;

namespace Chronoq.Sdk.Transport.Internal;

/// <summary>
/// Reads a call's status from what the server sent: <c>grpc-status</c> / <c>grpc-message</c> in the
/// response headers (a trailers-only response) or trailers, or, for a response that is not gRPC at
/// all, the HTTP status mapped as the gRPC spec's HTTP-to-gRPC table says.
/// </summary>
internal static class GrpcResponseStatus
{
    /// <summary>Finds a status in headers or trailers; false when there is no grpc-status.</summary>
    public static bool TryRead(HttpHeaders headers, out RpcStatus status)
    {
        var values = headers.NonValidated;
        if (!values.TryGetValues(GrpcHeaderNames.Status, out var codes))
        {
            status = default;
            return false;
        }

        var detail = values.TryGetValues(GrpcHeaderNames.Message, out var messages)
            ? GrpcStatusMessage.Decode(messages.ToString())
            : string.Empty;
        var codeText = codes.ToString();
        status = int.TryParse(codeText, NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code >= 0
            ? new RpcStatus((StatusCode)code, detail)
            : new RpcStatus(StatusCode.Unknown, $"Invalid grpc-status '{codeText}' in the response. {detail}".TrimEnd());
        return true;
    }

    /// <summary>The status of a response whose HTTP status is not 200 and that carries no grpc-status.</summary>
    public static RpcStatus FromHttpStatus(HttpStatusCode httpStatus)
    {
        var code = httpStatus switch
        {
            HttpStatusCode.BadRequest => StatusCode.Internal,
            HttpStatusCode.Unauthorized => StatusCode.Unauthenticated,
            HttpStatusCode.Forbidden => StatusCode.PermissionDenied,
            HttpStatusCode.NotFound => StatusCode.Unimplemented,
            HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway
                or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout => StatusCode.Unavailable,
            _ => StatusCode.Unknown,
        };
        return new RpcStatus(code, $"Bad gRPC response: HTTP status {(int)httpStatus}.");
    }
}
