using Google.Protobuf;
using Microsoft.AspNetCore.Http;

namespace Chronoq.Service.Transport.Internal;

internal sealed class DuplexStreamingCallHandler<TRequest, TResponse>(string path, GrpcCallSettings settings, DuplexStreamingMethod<TRequest, TResponse> method)
    : CallHandler(path, settings)
    where TRequest : class, IMessage<TRequest>, new()
    where TResponse : class, IMessage<TResponse>
{
    private readonly MessageParser<TRequest> _parser = new(static () => new TRequest());

    protected override async Task RunAsync(HttpContext httpContext, ServerCallContext call)
    {
        var reader = new HttpStreamReader<TRequest>(httpContext, _parser, Settings, call);
        var writer = new HttpStreamWriter<TResponse>(httpContext, Settings, call);
        try
        {
            await method(reader, writer, call).ConfigureAwait(false);
        }
        finally
        {
            writer.Complete();
        }
    }
}
