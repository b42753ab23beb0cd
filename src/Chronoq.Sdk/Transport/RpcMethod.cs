using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Chronoq.Sdk.Transport;

/// <summary>
/// One gRPC method of any service: its path and how to parse its responses. Create it once per
/// method (a static field) and pass it to <see cref="ChronoqChannel"/>'s calls.
/// </summary>
/// <typeparam name="TRequest">The request message type.</typeparam>
/// <typeparam name="TResponse">The response message type.</typeparam>
public sealed class RpcMethod<TRequest, TResponse>
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    /// <summary>Describes a method by its fully qualified service name and method name.</summary>
    /// <param name="type">Unary or server-streaming.</param>
    /// <param name="serviceName">The fully qualified service name, e.g. <c>grpc.health.v1.Health</c>.</param>
    /// <param name="name">The method name, e.g. <c>Check</c>.</param>
    /// <param name="responseParser">The parser of <typeparamref name="TResponse"/>, e.g. <c>HealthCheckResponse.Parser</c>.</param>
    public RpcMethod(RpcMethodType type, string serviceName, string name, MessageParser<TResponse> responseParser)
    {
        ArgumentException.ThrowIfNullOrEmpty(serviceName);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(responseParser);
        if (type is not (RpcMethodType.Unary or RpcMethodType.ServerStreaming))
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "Only unary and server-streaming methods are supported.");
        }

        Type = type;
        ServiceName = serviceName;
        Name = name;
        ResponseParser = responseParser;
        FullName = "/" + serviceName + "/" + name;
    }

    /// <summary>Unary or server-streaming.</summary>
    public RpcMethodType Type { get; }

    /// <summary>The fully qualified service name.</summary>
    public string ServiceName { get; }

    /// <summary>The method name.</summary>
    public string Name { get; }

    /// <summary>The request path on the wire: <c>/{ServiceName}/{Name}</c>.</summary>
    public string FullName { get; }

    /// <summary>Parses response messages.</summary>
    public MessageParser<TResponse> ResponseParser { get; }

    /// <summary>
    /// Describes a method from the generated file descriptor, e.g.
    /// <c>HealthReflection.Descriptor.Services[0].Methods[0]</c>. Throws when the descriptor's
    /// message types are not <typeparamref name="TRequest"/> and <typeparamref name="TResponse"/>
    /// or the method streams requests.
    /// </summary>
    public static RpcMethod<TRequest, TResponse> FromDescriptor(MethodDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        if (descriptor.InputType.ClrType != typeof(TRequest) || descriptor.OutputType.ClrType != typeof(TResponse))
        {
            throw new ArgumentException(
                $"Method {descriptor.FullName} takes {descriptor.InputType.FullName} and returns {descriptor.OutputType.FullName}, not {typeof(TRequest).Name} and {typeof(TResponse).Name}.",
                nameof(descriptor));
        }

        if (descriptor.IsClientStreaming)
        {
            throw new ArgumentException($"Method {descriptor.FullName} streams requests, which the client does not support.", nameof(descriptor));
        }

        var parser = (MessageParser<TResponse>)descriptor.OutputType.Parser;
        var type = descriptor.IsServerStreaming ? RpcMethodType.ServerStreaming : RpcMethodType.Unary;
        return new RpcMethod<TRequest, TResponse>(type, descriptor.Service.FullName, descriptor.Name, parser);
    }

    /// <inheritdoc />
    public override string ToString() => FullName;
}
