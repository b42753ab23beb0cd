using Chronoq.Core.Telemetry;
using Chronoq.Service.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Chronoq.Service.Telemetry.Internal;

/// <summary>
/// Hands the engine's per-topic counters to <see cref="EngineMetrics"/> (one ListTopics command), so
/// the job gauges and put/delete/timeout counters are current when collected. The engine is looked
/// up lazily: it exists only while <see cref="ChronoqEngineHost"/> runs.
/// </summary>
internal sealed class TopicStatsPublisher(IServiceProvider services, ILogger<TopicStatsPublisher> logger)
{
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var engine = services.GetService<ChronoqEngineHost>()?.Engine;
        if (engine is null || cancellationToken.IsCancellationRequested)
        {
            return;
        }

        try
        {
            var topics = await engine.ListTopicsAsync().ConfigureAwait(false);
            if (topics.IsOk)
            {
                EngineMetrics.PublishTopics(topics.Value);
            }
        }
        catch (ObjectDisposedException)
        {
            // The engine stopped between the lookup and the command: keep the last snapshot.
        }
#pragma warning disable CA1031 // A metrics refresh must never take the endpoint or the timer down.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            TelemetryLog.TopicStatsFailed(logger, ex);
        }
    }
}
