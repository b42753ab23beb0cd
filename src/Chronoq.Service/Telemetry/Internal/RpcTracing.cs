using System.Diagnostics;
using Chronoq.Core.Telemetry;
using Chronoq.Protocol.Grpc;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Chronoq.Service.Telemetry.Internal;

/// <summary>
/// A server span per gRPC call, named <c>package.Service/Method</c> with the OpenTelemetry RPC
/// attributes, wrapped around the transport as middleware so the transport itself stays unaware.
/// Costs one check per request while nothing listens to <see cref="ChronoqInstrumentation.ActivitySource"/>.
/// </summary>
internal static class RpcTracing
{
    private const string TraceParentHeader = "traceparent";
    private const string TraceStateHeader = "tracestate";

    public static Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (!ChronoqInstrumentation.ActivitySource.HasListeners() || !GrpcHeaderNames.IsGrpcContentType(context.Request.ContentType))
        {
            return next(context);
        }

        return TraceAsync(context, next);
    }

    private static async Task TraceAsync(HttpContext context, RequestDelegate next)
    {
        var path = context.Request.Path.Value ?? "";
        var name = path.TrimStart('/');
        // The parent is the caller's W3C trace context. ASP.NET's own request activity is skipped: it
        // exists even when nothing records it, and a parent-based sampler would then drop every span.
        var hosting = Activity.Current;
        var parent = default(ActivityContext);
        if (context.Request.Headers.TryGetValue(TraceParentHeader, out var traceParent))
        {
            ActivityContext.TryParse(traceParent, context.Request.Headers[TraceStateHeader], isRemote: true, out parent);
        }
        else if (hosting is { Recorded: true })
        {
            parent = hosting.Context;
        }

        // An async method's change of Activity.Current does not flow back to its caller, so ASP.NET
        // finds its own activity again once this returns.
        Activity.Current = null;
        using var activity = ChronoqInstrumentation.ActivitySource.StartActivity(name, ActivityKind.Server, parent);
        if (activity is null)
        {
            Activity.Current = hosting;
            await next(context).ConfigureAwait(false);
            return;
        }

        var slash = name.IndexOf('/', StringComparison.Ordinal);
        activity.SetTag("rpc.system", "grpc");
        activity.SetTag("rpc.service", slash > 0 ? name[..slash] : name);
        activity.SetTag("rpc.method", slash > 0 ? name[(slash + 1)..] : "");
        activity.SetTag("server.port", context.Connection.LocalPort);
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            activity.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            throw;
        }

        // The status is in the trailers, or in the headers for a trailers-only response.
        var trailers = context.Features.Get<IHttpResponseTrailersFeature>()?.Trailers;
        var status = trailers is not null && trailers.TryGetValue(GrpcHeaderNames.Status, out var fromTrailers)
            ? fromTrailers.ToString()
            : context.Response.Headers[GrpcHeaderNames.Status].ToString();
        if (int.TryParse(status, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var code))
        {
            activity.SetTag("rpc.grpc.status_code", code);
            if (IsServerError((StatusCode)code))
            {
                activity.SetStatus(ActivityStatusCode.Error);
            }
        }
    }

    // The OpenTelemetry RPC conventions: on the server, only these codes mean the server failed.
    private static bool IsServerError(StatusCode code) => code is StatusCode.Unknown or StatusCode.DeadlineExceeded
        or StatusCode.Unimplemented or StatusCode.Internal or StatusCode.Unavailable or StatusCode.DataLoss;
}
