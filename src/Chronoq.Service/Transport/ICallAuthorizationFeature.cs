using Google.Protobuf;

namespace Chronoq.Service.Transport;

/// <summary>
/// A request feature that authentication middleware sets on an authenticated call; the transport
/// hands it each request message (after decoding, before the handler runs) so the decision can
/// depend on what the message addresses (a topic, a job). Throw an
/// <see cref="Chronoq.Protocol.Grpc.RpcException"/> to refuse the call. Calls without the
/// feature are not checked.
/// </summary>
public interface ICallAuthorizationFeature
{
    /// <summary>Allows the call (returns) or refuses it (throws PERMISSION_DENIED, NOT_FOUND, ...).</summary>
    ValueTask AuthorizeAsync(IMessage request, ServerCallContext call);
}
