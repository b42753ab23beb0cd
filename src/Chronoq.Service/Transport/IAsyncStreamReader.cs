namespace Chronoq.Service.Transport;

/// <summary>Receives the request messages of a client- or bidi-streaming call.</summary>
/// <typeparam name="T">The request message type.</typeparam>
public interface IAsyncStreamReader<out T>
{
    /// <summary>The message read by the last successful <see cref="MoveNext"/>.</summary>
    T Current { get; }

    /// <summary>
    /// Reads the next message: false when the client has finished sending. A malformed, oversize
    /// or compressed frame throws <see cref="Chronoq.Protocol.Grpc.RpcException"/> with the status the spec asks for.
    /// </summary>
    ValueTask<bool> MoveNext(CancellationToken cancellationToken = default);
}
