using Chronoq.Interop.V1;
using Chronoq.Service.Transport;
using Google.Protobuf.Reflection;

namespace Chronoq.LoadGen;

/// <summary>
/// chronoq.interop.v1.InteropTest reduced to what load needs: Unary echoes, ServerStream sends
/// <c>count</c> copies of the request's payload as fast as the transport takes them.
/// </summary>
internal sealed class LoadStreamService : IGrpcService
{
    public ServiceDescriptor Descriptor => InteropReflection.Descriptor.Services[0];

    public void Register(GrpcServiceBuilder builder) => builder
        .MapUnary<InteropRequest, InteropResponse>("Unary", static (request, _) => ValueTask.FromResult(new InteropResponse { Payload = request.Payload }))
        .MapServerStreaming<InteropRequest, InteropResponse>("ServerStream", static async (request, responses, context) =>
        {
            // One message object reused: the load measures the transport, not allocation of replies.
            var response = new InteropResponse { Payload = request.Payload };
            for (uint index = 0; index < request.Count; index++)
            {
                response.Index = index;
                await responses.WriteAsync(response, context.CancellationToken);
            }
        });
}
