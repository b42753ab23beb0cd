namespace Chronoq.Sdk.Transport;

/// <summary>The shapes of call the client speaks.</summary>
public enum RpcMethodType
{
    /// <summary>One request, one response.</summary>
    Unary,

    /// <summary>One request, a stream of responses.</summary>
    ServerStreaming,
}
