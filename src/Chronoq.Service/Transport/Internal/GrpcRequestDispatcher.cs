using Chronoq.Protocol.Grpc;
using Microsoft.AspNetCore.Http;

namespace Chronoq.Service.Transport.Internal;

/// <summary>
/// The middleware in front of the handlers: everything arriving on the gRPC endpoint, and any
/// gRPC-typed request on the HTTP endpoint, is checked against the protocol and routed by path.
/// </summary>
internal sealed class GrpcRequestDispatcher(GrpcMethodTable table, GrpcCallSettings settings, Func<int, bool> isGrpcPort)
{
    private const string TextPlain = "text/plain; charset=utf-8";

    public Task InvokeAsync(HttpContext httpContext, RequestDelegate next)
    {
        var request = httpContext.Request;
        var isGrpcContent = GrpcHeaderNames.IsGrpcContentType(request.ContentType);
        if (!isGrpcContent && !isGrpcPort(httpContext.Connection.LocalPort))
        {
            return next(httpContext);
        }

        if (!HttpMethods.IsPost(request.Method))
        {
            httpContext.Response.Headers.Allow = "POST";
            return RejectAsync(httpContext, StatusCodes.Status405MethodNotAllowed, "gRPC requires POST.");
        }

        if (!isGrpcContent)
        {
            return RejectAsync(httpContext, StatusCodes.Status415UnsupportedMediaType, $"Content-Type '{request.ContentType}' is not supported; gRPC requires application/grpc.");
        }

        if (!HttpProtocol.IsHttp2(request.Protocol))
        {
            return RejectAsync(httpContext, StatusCodes.Status426UpgradeRequired, $"Protocol '{request.Protocol}' is not supported; gRPC requires HTTP/2.");
        }

        var path = request.Path.Value ?? string.Empty;
        if (table.TryGet(path, out var handler))
        {
            return handler!.HandleAsync(httpContext);
        }

        GrpcServerLog.UnimplementedMethod(settings.Logger, path);
        var service = path.Length > 1 && path.IndexOf('/', 1) is var slash and > 0 ? path[1..slash] : path;
        return new UnimplementedCallHandler(path, settings, $"Unknown service or method '{path}' (service '{service}').").HandleAsync(httpContext);
    }

    private Task RejectAsync(HttpContext httpContext, int status, string reason)
    {
        GrpcServerLog.RequestRejected(settings.Logger, httpContext.Request.Path.Value ?? string.Empty, status, reason);
        httpContext.Response.StatusCode = status;
        httpContext.Response.ContentType = TextPlain;
        return httpContext.Response.WriteAsync(reason, httpContext.RequestAborted);
    }
}
