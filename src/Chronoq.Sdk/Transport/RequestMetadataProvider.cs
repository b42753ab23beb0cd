namespace Chronoq.Sdk.Transport;

/// <summary>
/// Adds headers to every call of a channel before it is sent, e.g. an <c>authorization</c> token
/// fetched or refreshed asynchronously. If it throws an <see cref="Chronoq.Protocol.Grpc.RpcException"/>
/// the call fails with that status; any other exception fails the call with UNAUTHENTICATED
/// (the credentials could not be obtained) and nothing is sent.
/// </summary>
/// <param name="methodFullName">The method being called, e.g. <c>/chronoq.v1.Chronoq/Put</c>.</param>
/// <param name="headers">The call's request metadata, to add to.</param>
/// <param name="cancellationToken">The call's cancellation (deadline included).</param>
public delegate ValueTask RequestMetadataProvider(string methodFullName, Metadata headers, CancellationToken cancellationToken);
