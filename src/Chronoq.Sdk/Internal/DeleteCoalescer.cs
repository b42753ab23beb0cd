using Chronoq.Protocol.Grpc;
using Chronoq.Protocol.V1;

namespace Chronoq.Sdk.Internal;

/// <summary>
/// Coalesces deletes (acknowledgements) into DeleteBatch calls; the server answers each job on
/// its own, so one caller's NOT_FOUND or stale reservation is that caller's error only. A lone
/// delete goes as a plain Delete.
/// </summary>
internal sealed class DeleteCoalescer : CallCoalescer<DeleteRequest, bool>
{
    private readonly ChronoqClient _client;

    public DeleteCoalescer(ChronoqClient client, ChronoqClientOptions options)
        : base(options.BatchQueueCapacity, options.MaxBatchSize, options.MaxBatchBytes, options.BatchLinger, options.MaxBatchesInFlight, options.TimeProvider)
    {
        _client = client;
    }

    // Two varints and their tags: a fixed upper bound is close enough for batching.
    protected override int SizeOf(DeleteRequest request) => 24;

    protected override async Task SendAsync(IReadOnlyList<PendingCall<DeleteRequest, bool>> batch)
    {
        if (batch.Count == 1)
        {
            try
            {
                await _client.DeleteDirectAsync(batch[0].Request, CancellationToken.None).ConfigureAwait(false);
                batch[0].Complete(true);
            }
            catch (Exception exception)
            {
                batch[0].Fail(exception);
            }

            return;
        }

        var request = new DeleteBatchRequest();
        foreach (var pending in batch)
        {
            request.Jobs.Add(pending.Request);
        }

        try
        {
            var retried = false;
            var response = await _client.InvokeAsync(ChronoqMethods.DeleteBatch, request, idempotent: true, CancellationToken.None, onRetry: () => retried = true).ConfigureAwait(false);
            if (response.Results.Count != batch.Count)
            {
                throw new RpcException(StatusCode.Internal, $"DeleteBatch answered {response.Results.Count} results for {batch.Count} jobs.");
            }

            for (var i = 0; i < batch.Count; i++)
            {
                var result = response.Results[i];
                var code = (StatusCode)result.Code;
                if (code == StatusCode.OK || (code == StatusCode.NotFound && retried))
                {
                    batch[i].Complete(true);
                }
                else
                {
                    batch[i].Fail(new RpcException(code, result.Message));
                }
            }
        }
        catch (Exception exception)
        {
            foreach (var pending in batch)
            {
                pending.Fail(exception);
            }
        }
    }
}
