using System.Globalization;
using Chronoq.Protocol.Grpc;
using Chronoq.Service.Transport;
using Chronoq.Service.Transport.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Chronoq.Service.Security.Internal;

/// <summary>
/// Enforces the configured request-header limits (<see cref="ChronoqLimitsOptions"/>) as an answer
/// rather than a reset: a gRPC call over a limit gets a trailers-only RESOURCE_EXHAUSTED naming the
/// setting, any other request 431. Kestrel only enforces a looser backstop (see
/// <see cref="KestrelLimits"/>), because a request it refuses never reaches the pipeline and the
/// client sees a stream reset with no status to act on.
/// </summary>
/// <remarks>
/// Sizes are counted the way HTTP/2 sizes a header list (RFC 9113 §6.5.2, which Kestrel also uses):
/// name length + value length + 32 bytes of per-field overhead, over the HPACK-decoded fields. The
/// pseudo-headers (<c>:method</c>, <c>:path</c>, <c>:scheme</c>) are not in
/// <see cref="HttpRequest.Headers"/> and so not counted; <c>:authority</c> is, as <c>host</c>.
/// Lengths are in characters, one per byte as Kestrel decodes header values as Latin-1 by default.
/// A header sent several times counts once per value, as it arrived as several fields.
/// </remarks>
internal sealed class RequestHeaderLimitMiddleware(IOptions<ChronoqLimitsOptions> options)
{
    /// <summary>Per-field overhead of RFC 9113 §6.5.2's header-list size (the HPACK entry overhead).</summary>
    private const int FieldOverhead = 32;

    private readonly ChronoqLimitsOptions _limits = options.Value;

    public Task InvokeAsync(HttpContext httpContext, RequestDelegate next)
    {
        var failure = Check(httpContext.Request.Headers);
        if (failure is null)
        {
            return next(httpContext);
        }

        if (GrpcHeaderNames.IsGrpcContentType(httpContext.Request.ContentType))
        {
            httpContext.Response.ContentType = GrpcHeaderNames.ContentType;
            GrpcStatusWriter.Write(httpContext, responseStarted: false, StatusCode.ResourceExhausted, failure, trailers: null);
        }
        else
        {
            httpContext.Response.StatusCode = StatusCodes.Status431RequestHeaderFieldsTooLarge;
        }

        return Task.CompletedTask;
    }

    /// <summary>The first limit the headers cross, as a message naming its setting; null when within all.</summary>
    internal string? Check(IHeaderDictionary headers)
    {
        long total = 0;
        var count = 0;
        foreach (var (name, values) in headers)
        {
            foreach (var value in values)
            {
                var field = name.Length + (value?.Length ?? 0);
                if (field > _limits.MaxRequestHeaderFieldSize)
                {
                    return string.Create(CultureInfo.InvariantCulture, $"request header '{name}' is {field} bytes, above Chronoq:Limits:MaxRequestHeaderFieldSize ({_limits.MaxRequestHeaderFieldSize})");
                }

                total += field + FieldOverhead;
                count++;
            }
        }

        if (count > _limits.MaxRequestHeaderCount)
        {
            return string.Create(CultureInfo.InvariantCulture, $"request has {count} header fields, above Chronoq:Limits:MaxRequestHeaderCount ({_limits.MaxRequestHeaderCount})");
        }

        return total > _limits.MaxRequestHeadersTotalSize
            ? string.Create(CultureInfo.InvariantCulture, $"request headers total {total} bytes, above Chronoq:Limits:MaxRequestHeadersTotalSize ({_limits.MaxRequestHeadersTotalSize})")
            : null;
    }
}
