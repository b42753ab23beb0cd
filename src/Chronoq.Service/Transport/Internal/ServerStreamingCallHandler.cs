using Google.Protobuf;
using Microsoft.AspNetCore.Http;

namespace Chronoq.Service.Transport.Internal;

internal sealed class ServerStreamingCallHandler<TRequest, TResponse>(string path, GrpcCallSettings settings, ServerStreamingMethod<TRequest, TResponse> method)
    : CallHandler(path, settings)
    where TRequest : class, IMessage<TRequest>, new()
    where TResponse : class, IMessage<TResponse>
{
    private readonly MessageParser<TRequest> _parser = new(static () => new TRequest());

    protected override async Task RunAsync(HttpContext httpContext, ServerCallContext call)
    {
        var request = await RequestMessages.ReadSingleAsync(httpContext.Request.BodyReader, _parser, Settings.MaxReceiveMessageSize, call.CancellationToken).ConfigureAwait(false);
        if (httpContext.Features.Get<ICallAuthorizationFeature>() is { } authorization)
        {
            await authorization.AuthorizeAsync(request, call).ConfigureAwait(false);
        }

        var writer = new HttpStreamWriter<TResponse>(httpContext, Settings, call);
        try
        {
            await method(request, writer, call).ConfigureAwait(false);
        }
        finally
        {
            writer.Complete();
        }
    }
}
