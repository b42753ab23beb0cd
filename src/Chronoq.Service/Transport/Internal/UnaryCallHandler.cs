using Google.Protobuf;
using Microsoft.AspNetCore.Http;

namespace Chronoq.Service.Transport.Internal;

internal sealed class UnaryCallHandler<TRequest, TResponse>(string path, GrpcCallSettings settings, UnaryMethod<TRequest, TResponse> method)
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

        var response = await method(request, call).ConfigureAwait(false);
        if (!call.DeadlineExceeded)
        {
            // No flush: the message leaves with the trailers in as few frames as Kestrel can manage.
            HttpStreamWriter<TResponse>.Append(httpContext, Settings, call, response);
        }
    }
}
