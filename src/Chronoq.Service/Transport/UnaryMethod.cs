namespace Chronoq.Service.Transport;

/// <summary>Handles a unary call: one request, one response. Throw <see cref="Chronoq.Protocol.Grpc.RpcException"/> for a non-OK status.</summary>
public delegate ValueTask<TResponse> UnaryMethod<TRequest, TResponse>(TRequest request, ServerCallContext context);
