using System.Buffers;
using BenchmarkDotNet.Attributes;
using Chronoq.Protocol.Grpc;
using Chronoq.Service.Transport;
using Chronoq.Service.Transport.Internal;
using Grpc.Health.V1;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging.Abstractions;

namespace Chronoq.Benchmarks.Framing;

/// <summary>
/// The server side of one unary call without sockets or Kestrel: the dispatcher (protocol checks,
/// routing) and the unary handler (limits, deadline, decode, handler, encode, status trailers),
/// on a reused <see cref="DefaultHttpContext"/> whose body already holds the request frame (and,
/// with <see cref="EndArrivesLater"/>, whose end of stream comes only after the handler started
/// reading, the async path). What remains per call is the transport's own work, so its
/// allocations are exact.
/// </summary>
[MemoryDiagnoser]
public class UnaryCallPathBenchmarks
{
    private static readonly HealthCheckResponse Serving = new() { Status = HealthCheckResponse.Types.ServingStatus.Serving };

    private readonly HeaderDictionary _trailers = new();
    private readonly DiscardingBodyWriter _responseBody = new();
    private FrameBodyReader _requestBody = null!;
    private DefaultHttpContext _context = null!;
    private GrpcRequestDispatcher _dispatcher = null!;
    private CallHandler _handler = null!;

    /// <summary>Whether the call carries a grpc-timeout (so a deadline timer is armed).</summary>
    [Params(false, true)]
    public bool WithDeadline { get; set; }

    /// <summary>Whether the request's end of stream arrives only after the handler started reading (the async path).</summary>
    [Params(false, true)]
    public bool EndArrivesLater { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var settings = new GrpcCallSettings(4 * 1024 * 1024, 4 * 1024 * 1024, TimeProvider.System, NullLogger.Instance);
        var descriptor = HealthReflection.Descriptor.Services[0];
        var builder = new GrpcServiceBuilder(descriptor, null!, settings)
            .MapUnary<HealthCheckRequest, HealthCheckResponse>("Check", static (_, _) => ValueTask.FromResult(Serving));
        var table = new GrpcMethodTable();
        table.Add(descriptor, builder.Handlers, settings);
        table.Freeze();
        table.TryGet("/grpc.health.v1.Health/Check", out var handler);
        _handler = handler!;
        _dispatcher = new GrpcRequestDispatcher(table, settings, static _ => true);

        var frame = new ArrayBufferWriter<byte>();
        GrpcFraming.TryWriteMessage(frame, new HealthCheckRequest());
        _requestBody = new FrameBodyReader(frame.WrittenSpan.ToArray());

        _context = new DefaultHttpContext();
        _context.Features.Set<IRequestBodyPipeFeature>(_requestBody);
        _context.Features.Set<IHttpResponseBodyFeature>(new DiscardingResponseBody(_responseBody));
        _context.Features.Set<IHttpResponseTrailersFeature>(new ResponseTrailers { Trailers = _trailers });
        var request = _context.Request;
        request.Method = HttpMethods.Post;
        request.Protocol = HttpProtocol.Http2;
        request.Path = "/grpc.health.v1.Health/Check";
        request.ContentType = GrpcHeaderNames.ContentType;
        request.Headers[GrpcHeaderNames.TE] = "trailers";
        if (WithDeadline)
        {
            request.Headers[GrpcHeaderNames.Timeout] = "5S";
        }
    }

    /// <summary>Dispatcher + handler, as the middleware runs it.</summary>
    [Benchmark(Baseline = true)]
    public Task Dispatch()
    {
        Reset();
        var call = _dispatcher.InvokeAsync(_context, static _ => Task.CompletedTask);
        _requestBody.ArriveEnd();
        return call;
    }

    /// <summary>The handler alone (no content-type, method or path checks).</summary>
    [Benchmark]
    public Task Handle()
    {
        Reset();
        var call = _handler.HandleAsync(_context);
        _requestBody.ArriveEnd();
        return call;
    }

    private void Reset()
    {
        _requestBody.Rewind(EndArrivesLater);
        _context.Response.Headers.Clear();
        _trailers.Clear();
    }
}
