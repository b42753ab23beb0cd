using Chronoq.Protocol.Grpc;
using Chronoq.Service.Transport;
using Chronoq.Service.Transport.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Chronoq.Service.Security.Internal;

/// <summary>
/// In front of the gRPC dispatcher: a gRPC call to anything but health (and reflection, unless
/// protected) needs a valid API key, checked before its body is read; the key then rides on the
/// call as its <see cref="ICallAuthorizationFeature"/> for the per-message check.
/// </summary>
internal sealed class AuthenticationMiddleware(ApiKeyDirectory keys, ILogger<AuthenticationMiddleware> logger)
{
    private const string HealthPrefix = "/grpc.health.v1.Health/";
    private const string ReflectionPrefix = "/grpc.reflection.";

    public Task InvokeAsync(HttpContext httpContext, RequestDelegate next)
    {
        if (!keys.Enabled || !GrpcHeaderNames.IsGrpcContentType(httpContext.Request.ContentType))
        {
            return next(httpContext);
        }

        var path = httpContext.Request.Path.Value ?? string.Empty;
        if (path.StartsWith(HealthPrefix, StringComparison.Ordinal)
            || (!keys.ProtectReflection && path.StartsWith(ReflectionPrefix, StringComparison.Ordinal)))
        {
            return next(httpContext);
        }

        var key = keys.Authenticate(httpContext.Request.Headers.Authorization, out var failure);
        if (key is null)
        {
            SecurityLog.Unauthenticated(logger, path, httpContext.Connection.RemoteIpAddress?.ToString() ?? "unknown", failure!);
            httpContext.Response.ContentType = GrpcHeaderNames.ContentType;
            GrpcStatusWriter.Write(httpContext, responseStarted: false, StatusCode.Unauthenticated, failure, trailers: null);
            return Task.CompletedTask;
        }

        httpContext.Features.Set<ICallAuthorizationFeature>(key);
        return next(httpContext);
    }
}
