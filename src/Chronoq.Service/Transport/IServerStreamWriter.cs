namespace Chronoq.Service.Transport;

/// <summary>Sends the response messages of a streaming call. Writes must not overlap.</summary>
/// <typeparam name="T">The response message type.</typeparam>
public interface IServerStreamWriter<in T>
{
    /// <summary>
    /// Frames, sends and flushes one message. Throws <see cref="Chronoq.Protocol.Grpc.RpcException"/>
    /// (RESOURCE_EXHAUSTED) when it exceeds the maximum send size, and
    /// <see cref="OperationCanceledException"/> once the call is cancelled or past its deadline.
    /// </summary>
    Task WriteAsync(T message, CancellationToken cancellationToken = default);
}
