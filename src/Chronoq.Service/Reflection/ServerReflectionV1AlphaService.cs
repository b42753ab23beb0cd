using Chronoq.Service.Reflection.Internal;
using Chronoq.Service.Transport;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;
using V1 = Grpc.Reflection.V1;
using V1Alpha = Grpc.Reflection.V1Alpha;

namespace Chronoq.Service.Reflection;

/// <summary>
/// <c>grpc.reflection.v1alpha.ServerReflection</c>, still what many clients ask first. Its
/// messages are wire-identical to v1's, so each request is re-read as v1 and answered by the same
/// <see cref="ReflectionIndex"/>: one implementation, two package names.
/// </summary>
internal sealed class ServerReflectionV1AlphaService(ReflectionIndex index) : IGrpcService
{
    public ServiceDescriptor Descriptor => V1Alpha.ReflectionReflection.Descriptor.Services[0];

    public void Register(GrpcServiceBuilder builder) =>
        builder.MapDuplexStreaming<V1Alpha.ServerReflectionRequest, V1Alpha.ServerReflectionResponse>("ServerReflectionInfo", InfoAsync);

    private async Task InfoAsync(IAsyncStreamReader<V1Alpha.ServerReflectionRequest> requests, IServerStreamWriter<V1Alpha.ServerReflectionResponse> responses, ServerCallContext context)
    {
        var sentFiles = new HashSet<string>(StringComparer.Ordinal);
        while (await requests.MoveNext(context.CancellationToken).ConfigureAwait(false))
        {
            var request = V1.ServerReflectionRequest.Parser.ParseFrom(requests.Current.ToByteString());
            var answer = index.Answer(request, sentFiles);
            await responses.WriteAsync(V1Alpha.ServerReflectionResponse.Parser.ParseFrom(answer.ToByteString()), context.CancellationToken).ConfigureAwait(false);
        }
    }
}
