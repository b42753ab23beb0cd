using Chronoq.Protocol.Grpc;
using Microsoft.AspNetCore.Http;

namespace Chronoq.Service.Transport.Internal;

/// <summary>A method with no handler, or a path no service knows: UNIMPLEMENTED, trailers-only, body unread.</summary>
internal sealed class UnimplementedCallHandler(string path, GrpcCallSettings settings, string detail) : CallHandler(path, settings)
{
    protected override Task RunAsync(HttpContext httpContext, ServerCallContext call) =>
        Task.FromException(new RpcException(StatusCode.Unimplemented, detail));
}
