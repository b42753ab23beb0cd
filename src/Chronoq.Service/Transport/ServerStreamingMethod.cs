namespace Chronoq.Service.Transport;

/// <summary>Handles a server-streaming call: one request, any number of responses; returning ends the call with OK.</summary>
public delegate Task ServerStreamingMethod<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responses, ServerCallContext context);
