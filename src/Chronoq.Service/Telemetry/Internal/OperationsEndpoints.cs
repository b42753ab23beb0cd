using System.Text;
using Chronoq.Protocol.V1;
using Chronoq.Service.Health;
using Grpc.Health.V1;
using Microsoft.AspNetCore.Http;

namespace Chronoq.Service.Telemetry.Internal;

/// <summary>The handlers of <c>/metrics</c>, <c>/healthz</c> and <c>/readyz</c> on the HTTP endpoint.</summary>
internal sealed class OperationsEndpoints(MetricAggregator metrics, TopicStatsPublisher topics, HealthStatusRegistry health)
{
    private const string TextPlain = "text/plain; charset=utf-8";

    private static readonly string ChronoqService = ChronoqReflection.Descriptor.Services[0].FullName;

    public async Task MetricsAsync(HttpContext context)
    {
        await topics.RefreshAsync(context.RequestAborted).ConfigureAwait(false);
        var text = new StringBuilder(4096);
        PrometheusTextWriter.Write(text, metrics.Collect());
        context.Response.ContentType = PrometheusTextWriter.ContentType;
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsync(text.ToString(), context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Alive: the process answers HTTP. Liveness must not depend on storage, or a database outage would restart every pod.</summary>
    public static Task HealthAsync(HttpContext context)
    {
        context.Response.ContentType = TextPlain;
        return context.Response.WriteAsync("ok\n", context.RequestAborted);
    }

    /// <summary>Ready: the Chronoq service is SERVING — recovery finished, storage answering, not shutting down.</summary>
    public Task ReadyAsync(HttpContext context)
    {
        var ready = health.TryGetStatus(ChronoqService, out var status) && status == HealthCheckResponse.Types.ServingStatus.Serving;
        context.Response.StatusCode = ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        context.Response.ContentType = TextPlain;
        return context.Response.WriteAsync(ready ? "ready\n" : $"not ready: {ChronoqService} is {status}\n", context.RequestAborted);
    }
}
