using Chronoq.Service.Telemetry.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Chronoq.Service.Telemetry;

/// <summary>Wires the operations endpoints and RPC tracing into the application.</summary>
public static class OperationsApplicationExtensions
{
    /// <summary>The Prometheus scrape path.</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>The liveness path: 200 while the process serves HTTP.</summary>
    public const string HealthPath = "/healthz";

    /// <summary>The readiness path: 200 once recovery finished and storage answers, 503 otherwise and during shutdown.</summary>
    public const string ReadyPath = "/readyz";

    /// <summary>
    /// Starts the OpenTelemetry pipeline, adds a server span around every gRPC call, and maps
    /// <see cref="MetricsPath"/>, <see cref="HealthPath"/> and <see cref="ReadyPath"/> (served on the
    /// HTTP endpoint; the gRPC endpoint routes everything to the gRPC transport). Call before the
    /// gRPC transport's middleware so the span encloses the call.
    /// </summary>
    public static WebApplication UseChronoqOperations(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // Built now rather than on first use: export must be running before the first call.
        app.Services.GetRequiredService<OpenTelemetryPipeline>();
        app.Use(RpcTracing.InvokeAsync);
        var endpoints = app.Services.GetRequiredService<OperationsEndpoints>();
        app.MapGet(MetricsPath, endpoints.MetricsAsync);
        app.MapGet(HealthPath, OperationsEndpoints.HealthAsync);
        app.MapGet(ReadyPath, endpoints.ReadyAsync);
        return app;
    }
}
