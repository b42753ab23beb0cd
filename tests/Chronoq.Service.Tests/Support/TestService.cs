using Chronoq.Protocol.Grpc;
using Chronoq.Service.Tests.Protos;
using Chronoq.Service.Transport;
using Google.Protobuf.Reflection;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;

namespace Chronoq.Service.Tests.Support;

/// <summary>The test-only service's handlers; <see cref="CallProbe"/> records what they observed.</summary>
internal sealed class TestService(CallProbe probe) : IGrpcService
{
    public const string EchoPath = "/chronoq.testing.v1.TestService/Echo";
    public const string EchoStreamPath = "/chronoq.testing.v1.TestService/EchoStream";
    public const string EchoDuplexPath = "/chronoq.testing.v1.TestService/EchoDuplex";
    public const string NotMappedPath = "/chronoq.testing.v1.TestService/NotMapped";

    public ServiceDescriptor Descriptor => TestServiceReflection.Descriptor.Services[0];

    public void Register(GrpcServiceBuilder builder) => builder
        .MapUnary<EchoRequest, EchoResponse>("Echo", EchoAsync)
        .MapServerStreaming<EchoRequest, EchoResponse>("EchoStream", EchoStreamAsync)
        .MapDuplexStreaming<EchoRequest, EchoResponse>("EchoDuplex", EchoDuplexAsync);

    private async ValueTask<EchoResponse> EchoAsync(EchoRequest request, ServerCallContext context)
    {
        probe.Record(context);
        await Act(request, context).ConfigureAwait(false);
        if (request.FailCode != 0)
        {
            throw new RpcException((StatusCode)request.FailCode, request.FailMessage);
        }

        return new EchoResponse { Text = request.Text, Payload = request.Payload };
    }

    private async Task EchoStreamAsync(EchoRequest request, IServerStreamWriter<EchoResponse> responses, ServerCallContext context)
    {
        probe.Record(context);
        for (var i = 0; i < request.Repeat; i++)
        {
            await responses.WriteAsync(new EchoResponse { Text = request.Text + i, Payload = request.Payload }).ConfigureAwait(false);
        }

        await Act(request, context).ConfigureAwait(false);
        if (request.FailCode != 0)
        {
            throw new RpcException((StatusCode)request.FailCode, request.FailMessage);
        }
    }

    private static async Task EchoDuplexAsync(IAsyncStreamReader<EchoRequest> requests, IServerStreamWriter<EchoResponse> responses, ServerCallContext context)
    {
        while (await requests.MoveNext().ConfigureAwait(false))
        {
            await responses.WriteAsync(new EchoResponse { Text = requests.Current.Text }).ConfigureAwait(false);
        }
    }

    private async Task Act(EchoRequest request, ServerCallContext context)
    {
        if (request.AddTrailer)
        {
            context.AddResponseTrailer("x-echo-trailer", request.Text);
        }

        if (request.ThrowPlain)
        {
            throw new InvalidOperationException("secret internal detail");
        }

        if (request.WaitForCancel)
        {
            try
            {
                await Task.Delay(Timeout.Infinite, context.CancellationToken).ConfigureAwait(false);
            }
            finally
            {
                probe.Cancelled.TrySetResult(context.CancellationToken.IsCancellationRequested);
            }
        }
    }
}
