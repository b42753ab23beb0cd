using Chronoq.Service.Transport.Internal;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;

namespace Chronoq.Service.Transport;

/// <summary>
/// Maps handlers to the methods of one service descriptor. Each mapping is checked against the
/// descriptor (the method exists, its kind and message types match) so a mistake fails at start-up.
/// </summary>
public sealed class GrpcServiceBuilder
{
    private readonly GrpcCallSettings _settings;
    private readonly Dictionary<string, CallHandler> _handlers = new(StringComparer.Ordinal);

    internal GrpcServiceBuilder(ServiceDescriptor descriptor, IServiceProvider services, GrpcCallSettings settings)
    {
        Descriptor = descriptor;
        Services = services;
        _settings = settings;
    }

    /// <summary>The service being mapped.</summary>
    public ServiceDescriptor Descriptor { get; }

    /// <summary>The application's services, for handlers that need them.</summary>
    public IServiceProvider Services { get; }

    internal IReadOnlyDictionary<string, CallHandler> Handlers => _handlers;

    /// <summary>Maps a unary method.</summary>
    public GrpcServiceBuilder MapUnary<TRequest, TResponse>(string methodName, UnaryMethod<TRequest, TResponse> handler)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(handler);
        var method = Resolve<TRequest, TResponse>(methodName, clientStreaming: false, serverStreaming: false);
        _handlers.Add(method.Name, new UnaryCallHandler<TRequest, TResponse>(PathOf(method), _settings, handler));
        return this;
    }

    /// <summary>Maps a server-streaming method.</summary>
    public GrpcServiceBuilder MapServerStreaming<TRequest, TResponse>(string methodName, ServerStreamingMethod<TRequest, TResponse> handler)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(handler);
        var method = Resolve<TRequest, TResponse>(methodName, clientStreaming: false, serverStreaming: true);
        _handlers.Add(method.Name, new ServerStreamingCallHandler<TRequest, TResponse>(PathOf(method), _settings, handler));
        return this;
    }

    /// <summary>Maps a bidi-streaming method.</summary>
    public GrpcServiceBuilder MapDuplexStreaming<TRequest, TResponse>(string methodName, DuplexStreamingMethod<TRequest, TResponse> handler)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(handler);
        var method = Resolve<TRequest, TResponse>(methodName, clientStreaming: true, serverStreaming: true);
        _handlers.Add(method.Name, new DuplexStreamingCallHandler<TRequest, TResponse>(PathOf(method), _settings, handler));
        return this;
    }

    internal static string PathOf(MethodDescriptor method) => "/" + method.Service.FullName + "/" + method.Name;

    private MethodDescriptor Resolve<TRequest, TResponse>(string methodName, bool clientStreaming, bool serverStreaming)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>
    {
        var method = Descriptor.FindMethodByName(methodName)
            ?? throw new ArgumentException($"Service '{Descriptor.FullName}' has no method '{methodName}'.", nameof(methodName));
        if (method.IsClientStreaming != clientStreaming || method.IsServerStreaming != serverStreaming)
        {
            throw new ArgumentException($"Method '{PathOf(method)}' is not of the kind being mapped (client streaming: {method.IsClientStreaming}, server streaming: {method.IsServerStreaming}).", nameof(methodName));
        }

        var requestType = new TRequest().Descriptor;
        if (requestType.FullName != method.InputType.FullName)
        {
            throw new ArgumentException($"Method '{PathOf(method)}' takes {method.InputType.FullName}, not {requestType.FullName}.", nameof(methodName));
        }

        // TResponse has no new() constraint (generated types do, but keep the surface loose), so
        // compare by CLR type against the descriptor's generated type.
        if (method.OutputType.ClrType is { } outputClr && outputClr != typeof(TResponse))
        {
            throw new ArgumentException($"Method '{PathOf(method)}' returns {method.OutputType.FullName}, not {typeof(TResponse).FullName}.", nameof(methodName));
        }

        if (_handlers.ContainsKey(method.Name))
        {
            throw new ArgumentException($"Method '{PathOf(method)}' is already mapped.", nameof(methodName));
        }

        return method;
    }
}
