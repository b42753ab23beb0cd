namespace Chronoq.Service.Transport;

/// <summary>Handles a bidi-streaming call: requests and responses both stream; returning ends the call with OK.</summary>
public delegate Task DuplexStreamingMethod<TRequest, TResponse>(IAsyncStreamReader<TRequest> requests, IServerStreamWriter<TResponse> responses, ServerCallContext context);
