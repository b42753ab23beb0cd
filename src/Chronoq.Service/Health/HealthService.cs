using Chronoq.Protocol.Grpc;
using Chronoq.Service.Transport;
using Google.Protobuf.Reflection;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;
using Grpc.Health.V1;

namespace Chronoq.Service.Health;

/// <summary><c>grpc.health.v1.Health</c>: Check and Watch over <see cref="HealthStatusRegistry"/>.</summary>
internal sealed class HealthService(HealthStatusRegistry registry) : IGrpcService
{
    public ServiceDescriptor Descriptor => HealthReflection.Descriptor.Services[0];

    public void Register(GrpcServiceBuilder builder) => builder
        .MapUnary<HealthCheckRequest, HealthCheckResponse>("Check", CheckAsync)
        .MapServerStreaming<HealthCheckRequest, HealthCheckResponse>("Watch", WatchAsync);

    private ValueTask<HealthCheckResponse> CheckAsync(HealthCheckRequest request, ServerCallContext context)
    {
        if (!registry.TryGetStatus(request.Service, out var status))
        {
            throw new RpcException(StatusCode.NotFound, $"Unknown service '{Abbreviate(request.Service)}'.");
        }

        return ValueTask.FromResult(new HealthCheckResponse { Status = status });
    }

    private async Task WatchAsync(HealthCheckRequest request, IServerStreamWriter<HealthCheckResponse> responses, ServerCallContext context)
    {
        HealthCheckResponse.Types.ServingStatus? sent = null;
        while (true)
        {
            var (status, changed) = registry.Observe(request.Service);
            if (status != sent)
            {
                await responses.WriteAsync(new HealthCheckResponse { Status = status }, context.CancellationToken).ConfigureAwait(false);
                sent = status;
            }

            if (registry.IsShuttingDown)
            {
                // NOT_SERVING has been sent; end the stream so shutdown does not wait on it.
                return;
            }

            await changed.WaitAsync(context.CancellationToken).ConfigureAwait(false);
        }
    }

    // The name is echoed into grpc-message, a header: a huge name would exceed the client's
    // header limit (grpcio refuses the response, grpc-js stalls), so only its start is quoted.
    private const int MaxQuotedServiceName = 200;

    private static string Abbreviate(string service) =>
        service.Length <= MaxQuotedServiceName ? service : string.Concat(service.AsSpan(0, MaxQuotedServiceName), "…");
}
