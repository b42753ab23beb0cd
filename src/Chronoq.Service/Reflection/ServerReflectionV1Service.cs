using Chronoq.Service.Reflection.Internal;
using Chronoq.Service.Transport;
using Google.Protobuf.Reflection;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;
using Grpc.Reflection.V1;

namespace Chronoq.Service.Reflection;

/// <summary><c>grpc.reflection.v1.ServerReflection</c>: describes the hosted services to grpcurl and friends.</summary>
internal sealed class ServerReflectionV1Service(ReflectionIndex index) : IGrpcService
{
    public ServiceDescriptor Descriptor => ReflectionReflection.Descriptor.Services[0];

    public void Register(GrpcServiceBuilder builder) =>
        builder.MapDuplexStreaming<ServerReflectionRequest, ServerReflectionResponse>("ServerReflectionInfo", InfoAsync);

    private async Task InfoAsync(IAsyncStreamReader<ServerReflectionRequest> requests, IServerStreamWriter<ServerReflectionResponse> responses, ServerCallContext context)
    {
        var sentFiles = new HashSet<string>(StringComparer.Ordinal);
        while (await requests.MoveNext(context.CancellationToken).ConfigureAwait(false))
        {
            await responses.WriteAsync(index.Answer(requests.Current, sentFiles), context.CancellationToken).ConfigureAwait(false);
        }
    }
}
