using System.Buffers;
using System.Globalization;
using System.Net;
using Chronoq.Protocol.Grpc;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Chronoq.Benchmarks.Framing;

/// <summary>
/// The floor under <see cref="LoopbackCallBenchmarks"/>: bare Kestrel on h2c with Chronoq's HTTP/2
/// limits, answering every request the way a unary gRPC call ends (drain the body, one small
/// message, <c>grpc-status: 0</c> in the trailers) with no gRPC transport at all. Its CPU per call
/// is what Kestrel, HTTP/2 and HPACK cost before any of our code runs.
/// Run as its own process: <c>Chronoq.Benchmarks kestrel-floor PORT</c>.
/// </summary>
internal static class KestrelFloorServer
{
    public const string Command = "kestrel-floor";

    // A framed HealthCheckResponse{status: SERVING}: the same 7 bytes the health service sends.
    private static readonly byte[] ResponseFrame = [0, 0, 0, 0, 2, 0x08, 0x01];

    public static async Task RunAsync(string[] args)
    {
        var port = int.Parse(args[0], CultureInfo.InvariantCulture);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // The same HTTP/2 settings as src/Chronoq.Service/Internal/KestrelEndpoints.cs.
            var http2 = kestrel.Limits.Http2;
            http2.MaxStreamsPerConnection = 1000;
            http2.InitialStreamWindowSize = 1024 * 1024;
            http2.InitialConnectionWindowSize = 16 * 1024 * 1024;
            kestrel.Listen(IPAddress.Loopback, port, listen => listen.Protocols = HttpProtocols.Http2);
        });
        var app = builder.Build();
        app.Run(static async httpContext =>
        {
            var body = httpContext.Request.BodyReader;
            while (true)
            {
                var read = await body.ReadAsync(httpContext.RequestAborted).ConfigureAwait(false);
                body.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted)
                {
                    break;
                }
            }

            var response = httpContext.Response;
            response.ContentType = GrpcHeaderNames.ContentType;
            response.BodyWriter.Write(ResponseFrame);
            response.AppendTrailer(GrpcHeaderNames.Status, "0");
        });
        await app.RunAsync().ConfigureAwait(false);
    }
}
