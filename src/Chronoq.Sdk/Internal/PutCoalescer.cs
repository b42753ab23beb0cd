using System.Globalization;
using System.Text.RegularExpressions;
using Chronoq.Protocol.Grpc;
using Chronoq.Protocol.V1;

namespace Chronoq.Sdk.Internal;

/// <summary>
/// Coalesces puts into PutBatch calls. PutBatch is all-or-nothing, so one bad put must not fail
/// its neighbours: puts are validated before they are queued (<see cref="PutValidation"/>); a
/// lone put goes as a plain Put (its error is its own); and when the server still refuses a
/// batch for one job (INVALID_ARGUMENT or RESOURCE_EXHAUSTED naming <c>jobs[i]</c>) that caller
/// gets the error and the rest are sent again without it. A refusal naming no job falls back to
/// one Put per caller, so each gets the server's own answer.
/// </summary>
internal sealed partial class PutCoalescer : CallCoalescer<PutRequest, PutResult>
{
    private readonly ChronoqClient _client;

    public PutCoalescer(ChronoqClient client, ChronoqClientOptions options)
        : base(options.BatchQueueCapacity, options.MaxBatchSize, options.MaxBatchBytes, options.BatchLinger, options.MaxBatchesInFlight, options.TimeProvider)
    {
        _client = client;
    }

    protected override int SizeOf(PutRequest request) => request.CalculateSize();

    protected override async Task SendAsync(IReadOnlyList<PendingCall<PutRequest, PutResult>> batch)
    {
        // A plain loop rather than Where().ToList(), which rents its buffers from a shared pool of
        // PendingCall arrays: that pool's trimming showed up in CPU profiles of the put path.
        var remaining = new List<PendingCall<PutRequest, PutResult>>(batch.Count);
        foreach (var pending in batch)
        {
            if (!pending.IsAbandoned)
            {
                remaining.Add(pending);
            }
        }

        while (remaining.Count > 1)
        {
            var request = new PutBatchRequest();
            var idempotent = true;
            foreach (var pending in remaining)
            {
                request.Jobs.Add(pending.Request);
                idempotent &= pending.Request.Key.Length > 0;
            }

            try
            {
                var response = await _client.InvokeAsync(ChronoqMethods.PutBatch, request, idempotent, CancellationToken.None).ConfigureAwait(false);
                if (response.Results.Count != remaining.Count)
                {
                    throw new RpcException(StatusCode.Internal, $"PutBatch answered {response.Results.Count} results for {remaining.Count} jobs.");
                }

                for (var i = 0; i < remaining.Count; i++)
                {
                    remaining[i].Complete(new PutResult(response.Results[i].Id, response.Results[i].Created));
                }

                return;
            }
            catch (RpcException exception) when (exception.StatusCode is StatusCode.InvalidArgument or StatusCode.ResourceExhausted)
            {
                var index = FailedJobIndex(exception.Detail);
                if (index is null || index >= remaining.Count)
                {
                    await Task.WhenAll(remaining.Select(PutAloneAsync)).ConfigureAwait(false);
                    return;
                }

                remaining[index.Value].Fail(new RpcException(exception.StatusCode, exception.Detail));
                remaining.RemoveAt(index.Value);
            }
            catch (Exception exception)
            {
                foreach (var pending in remaining)
                {
                    pending.Fail(exception);
                }

                return;
            }
        }

        if (remaining.Count == 1)
        {
            await PutAloneAsync(remaining[0]).ConfigureAwait(false);
        }
    }

    private static int? FailedJobIndex(string detail)
    {
        var match = JobIndexPattern().Match(detail);
        return match.Success && int.TryParse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? index : null;
    }

    [GeneratedRegex(@"jobs\[(\d+)\]", RegexOptions.CultureInvariant)]
    private static partial Regex JobIndexPattern();

    private async Task PutAloneAsync(PendingCall<PutRequest, PutResult> pending)
    {
        try
        {
            var response = await _client.InvokeAsync(ChronoqMethods.Put, pending.Request, pending.Request.Key.Length > 0, CancellationToken.None).ConfigureAwait(false);
            pending.Complete(new PutResult(response.Id, response.Created));
        }
        catch (Exception exception)
        {
            pending.Fail(exception);
        }
    }
}
