using Chronoq.Protocol.Grpc;
using Microsoft.AspNetCore.Http;

namespace Chronoq.Service.Transport.Internal;

/// <summary>Ends a call with its status: in the trailers, or in the headers (trailers-only) when nothing was sent.</summary>
internal static class GrpcStatusWriter
{
    // Cached so an OK status allocates no string.
    private static readonly string[] StatusText = Enumerable.Range(0, 17).Select(static i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    public static void Write(HttpContext httpContext, bool responseStarted, StatusCode code, string? detail, IReadOnlyList<KeyValuePair<string, string>>? trailers)
    {
        var response = httpContext.Response;
        var status = (int)code is >= 0 and < 17 ? StatusText[(int)code] : ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (!responseStarted && !response.HasStarted)
        {
            // Trailers-only: the status travels in the one HEADERS frame, which ends the stream
            // because no body follows.
            var headers = response.Headers;
            headers[GrpcHeaderNames.Status] = status;
            if (!string.IsNullOrEmpty(detail))
            {
                headers[GrpcHeaderNames.Message] = GrpcStatusMessage.Encode(detail);
            }

            if (trailers is not null)
            {
                foreach (var (name, value) in trailers)
                {
                    headers.Append(name, value);
                }
            }

            return;
        }

        response.AppendTrailer(GrpcHeaderNames.Status, status);
        if (!string.IsNullOrEmpty(detail))
        {
            response.AppendTrailer(GrpcHeaderNames.Message, GrpcStatusMessage.Encode(detail));
        }

        if (trailers is not null)
        {
            foreach (var (name, value) in trailers)
            {
                response.AppendTrailer(name, value);
            }
        }
    }
}
