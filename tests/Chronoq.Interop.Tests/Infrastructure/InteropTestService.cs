using Chronoq.Interop.V1;
using Chronoq.Protocol.Grpc;
using Chronoq.Service.Transport;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Chronoq.Interop.Tests.Infrastructure;

/// <summary>
/// chronoq.interop.v1.InteropTest on Chronoq's own server transport, behaving as the python and
/// node fixture servers do (see interop.proto).
/// </summary>
internal sealed class InteropTestService : IGrpcService
{
    private int _cancelledCalls;

    public ServiceDescriptor Descriptor => InteropReflection.Descriptor.Services[0];

    public void Register(GrpcServiceBuilder builder) => builder
        .MapUnary<InteropRequest, InteropResponse>("Unary", UnaryAsync)
        .MapServerStreaming<InteropRequest, InteropResponse>("ServerStream", ServerStreamAsync)
        .MapUnary<StatsRequest, StatsResponse>("GetStats", (_, _) => ValueTask.FromResult(new StatsResponse { CancelledCalls = (uint)Volatile.Read(ref _cancelledCalls) }));

    private async ValueTask<InteropResponse> UnaryAsync(InteropRequest request, ServerCallContext context)
    {
        await PauseAsync(request, context);
        if (request.StatusCode != 0)
        {
            throw new RpcException((StatusCode)request.StatusCode, request.StatusMessage);
        }

        return ResponseFor(request, context, 0);
    }

    private async Task ServerStreamAsync(InteropRequest request, IServerStreamWriter<InteropResponse> responses, ServerCallContext context)
    {
        foreach (var (key, values) in context.RequestHeaders)
        {
            if (key.StartsWith("echo-", StringComparison.OrdinalIgnoreCase))
            {
                context.ResponseHeaders[key] = values;
                context.AddResponseTrailer("echo-trailer-" + key["echo-".Length..], values.ToString());
            }
        }

        for (uint index = 0; index < request.Count; index++)
        {
            await PauseAsync(request, context);
            await responses.WriteAsync(ResponseFor(request, context, index), context.CancellationToken);
        }

        if (request.StatusCode != 0)
        {
            throw new RpcException((StatusCode)request.StatusCode, request.StatusMessage);
        }
    }

    private async Task PauseAsync(InteropRequest request, ServerCallContext context)
    {
        if (request.IntervalMs == 0)
        {
            return;
        }

        try
        {
            await Task.Delay(TimeSpan.FromMilliseconds(request.IntervalMs), context.CancellationToken);
        }
        catch (OperationCanceledException) when (context.HttpContext.RequestAborted.IsCancellationRequested)
        {
            Interlocked.Increment(ref _cancelledCalls);
            throw;
        }
    }

    private static InteropResponse ResponseFor(InteropRequest request, ServerCallContext context, uint index)
    {
        var response = new InteropResponse
        {
            Payload = request.ResponseSize != 0 ? ByteString.CopyFrom(new byte[request.ResponseSize]) : request.Payload,
            DeadlineRemainingMs = context.Deadline == DateTimeOffset.MaxValue
                ? -1
                : (long)(context.Deadline - DateTimeOffset.UtcNow).TotalMilliseconds,
            Index = index,
            Peer = context.Peer,
        };
        foreach (var (key, values) in context.RequestHeaders)
        {
            if (!key.StartsWith("grpc-", StringComparison.OrdinalIgnoreCase) && !key.EndsWith("-bin", StringComparison.OrdinalIgnoreCase) && !key.StartsWith(':'))
            {
                response.Metadata[key.ToLowerInvariant()] = values.ToString();
            }
        }

        return response;
    }
}
