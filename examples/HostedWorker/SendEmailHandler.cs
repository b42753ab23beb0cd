using Chronoq.Sdk;
using Microsoft.Extensions.Logging;

namespace HostedWorker;

/// <summary>Sends emails; one address is "flaky" to show the worker's retries and bury.</summary>
internal sealed partial class SendEmailHandler(ILogger<SendEmailHandler> logger) : IChronoqJobHandler<SendEmail>
{
    public async Task HandleAsync(ReservedJob<SendEmail> job, CancellationToken cancellationToken)
    {
        if (job.Value.To.StartsWith("flaky@", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"mail server refused {job.Value.To}");
        }

        // Stands in for the SMTP round trip.
        await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        Sent(logger, job.Value.To, job.Value.Subject, job.Id, job.Attempt);
    }

    [LoggerMessage(1, LogLevel.Information, "sent \"{Subject}\" to {To} (job {JobId}, attempt {Attempt})")]
    private static partial void Sent(ILogger logger, string to, string subject, ulong jobId, int attempt);
}
