using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Chronoq.Service;

/// <summary>The addresses the server actually listens on (port 0 resolved), known once it has started.</summary>
public sealed class ChronoqEndpoints
{
    private ListenOptions? _grpc;
    private ListenOptions? _http;
    private bool _grpcIsHttps;

    /// <summary>The gRPC endpoint, e.g. <c>http://127.0.0.1:50051/</c>.</summary>
    public Uri GrpcAddress => AddressOf(_grpc, _grpcIsHttps, "gRPC");

    /// <summary>The HTTP endpoint, e.g. <c>http://127.0.0.1:8080/</c>.</summary>
    public Uri HttpAddress => AddressOf(_http, false, "HTTP");

    internal void SetGrpc(ListenOptions options, bool isHttps) => (_grpc, _grpcIsHttps) = (options, isHttps);

    internal void SetHttp(ListenOptions options) => _http = options;

    /// <summary>Whether a connection's local port is the gRPC endpoint's.</summary>
    internal bool IsGrpcPort(int localPort) => _grpc?.IPEndPoint is { } endPoint ? endPoint.Port == localPort : false;

    private static Uri AddressOf(ListenOptions? options, bool isHttps, string name)
    {
        // Kestrel writes the bound endpoint (with the real port) back into ListenOptions.
        var endPoint = options?.IPEndPoint ?? throw new InvalidOperationException($"The {name} endpoint is not bound yet.");
        var host = endPoint.Address.Equals(IPAddress.IPv6Any) || endPoint.Address.Equals(IPAddress.Any)
            ? "localhost"
            : endPoint.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{endPoint.Address}]" : endPoint.Address.ToString();
        return new Uri($"{(isHttps ? "https" : "http")}://{host}:{endPoint.Port}/");
    }
}
