namespace Chronoq.Protocol.Grpc;

/// <summary>The header, trailer and content-type names of the gRPC-over-HTTP/2 protocol.</summary>
public static class GrpcHeaderNames
{
    /// <summary>The content type of a gRPC request and response (protobuf is implied).</summary>
    public const string ContentType = "application/grpc";

    /// <summary>The explicit protobuf variant of <see cref="ContentType"/>.</summary>
    public const string ContentTypeProto = "application/grpc+proto";

    /// <summary>The status code trailer (or header, in a trailers-only response).</summary>
    public const string Status = "grpc-status";

    /// <summary>The percent-encoded status message.</summary>
    public const string Message = "grpc-message";

    /// <summary>The call's timeout, see <see cref="GrpcTimeout"/>.</summary>
    public const string Timeout = "grpc-timeout";

    /// <summary>The compression of the messages the sender sends.</summary>
    public const string Encoding = "grpc-encoding";

    /// <summary>The compressions the sender accepts.</summary>
    public const string AcceptEncoding = "grpc-accept-encoding";

    /// <summary>The only encoding Chronoq speaks: no compression.</summary>
    public const string IdentityEncoding = "identity";

    /// <summary>The TE header a gRPC client sends (value <c>trailers</c>).</summary>
    public const string TE = "te";

    /// <summary>Binary headers end in this suffix and carry base64.</summary>
    public const string BinaryHeaderSuffix = "-bin";

    /// <summary>Tells whether a content-type header names gRPC with protobuf messages.</summary>
    public static bool IsGrpcContentType(string? contentType)
    {
        if (contentType is null || !contentType.StartsWith(ContentType, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        // "application/grpc", "application/grpc+proto", optionally followed by "; parameters".
        var rest = contentType.AsSpan(ContentType.Length);
        if (rest.StartsWith("+proto", StringComparison.OrdinalIgnoreCase))
        {
            rest = rest["+proto".Length..];
        }

        return rest.IsEmpty || rest[0] == ';';
    }
}
