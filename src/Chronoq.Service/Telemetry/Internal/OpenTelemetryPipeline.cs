using Chronoq.Core.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Chronoq.Service.Telemetry.Internal;

/// <summary>
/// The OpenTelemetry SDK's tracer and meter providers, built by hand (the hosting extensions are not
/// available here) from the standard OTEL_* settings, and disposed with the host so the last spans
/// and metrics are flushed. Without an OTLP endpoint nothing is built and nothing is exported.
/// </summary>
internal sealed class OpenTelemetryPipeline : IDisposable
{
    /// <summary>Npgsql's own activity source and meter: database round trips as child spans and pool metrics.</summary>
    public const string NpgsqlSource = "Npgsql";

    private const string DefaultServiceName = "chronoq";

    // OTLP gauges are read at each export; a refresh this often keeps them at most this stale
    // while costing the engine one stats command per interval.
    private static readonly TimeSpan TopicStatsRefreshInterval = TimeSpan.FromSeconds(5);

    private readonly ITimer? _refresh;

    public OpenTelemetryPipeline(IConfiguration configuration, TopicStatsPublisher publisher, TimeProvider time, ILogger<OpenTelemetryPipeline> logger)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var disabled = bool.TryParse(configuration[OpenTelemetryEnvironment.SdkDisabled], out var off) && off;
        var anyEndpoint = !string.IsNullOrWhiteSpace(configuration[OpenTelemetryEnvironment.Endpoint]);
        var traces = !disabled && !IsNone(configuration[OpenTelemetryEnvironment.TracesExporter])
            && (anyEndpoint || !string.IsNullOrWhiteSpace(configuration[OpenTelemetryEnvironment.TracesEndpoint]));
        var metrics = !disabled && !IsNone(configuration[OpenTelemetryEnvironment.MetricsExporter])
            && (anyEndpoint || !string.IsNullOrWhiteSpace(configuration[OpenTelemetryEnvironment.MetricsEndpoint]));
        ServiceName = string.IsNullOrWhiteSpace(configuration[OpenTelemetryEnvironment.ServiceName]) ? DefaultServiceName : configuration[OpenTelemetryEnvironment.ServiceName]!;
        if (!traces && !metrics)
        {
            TelemetryLog.ExportOff(logger);
            return;
        }

        var resource = ResourceBuilder.CreateDefault().AddService(ServiceName, serviceVersion: ChronoqHost.Version);
        if (traces)
        {
            // The exporter reads the OTEL_EXPORTER_OTLP_* settings from the IConfiguration in the
            // provider's own services: hand it the host's, so configuration sources beyond the
            // environment (appsettings, command line, tests) are honoured too.
            Tracing = Sdk.CreateTracerProviderBuilder()
                .ConfigureServices(services => services.AddSingleton(configuration))
                .SetResourceBuilder(resource)
                .AddSource(ChronoqInstrumentation.ActivitySourceName, NpgsqlSource)
                .AddOtlpExporter()
                .Build();
        }

        if (metrics)
        {
            Metrics = Sdk.CreateMeterProviderBuilder()
                .ConfigureServices(services => services.AddSingleton(configuration))
                .SetResourceBuilder(resource)
                .AddMeter(ChronoqInstrumentation.MeterName, NpgsqlSource, RuntimeInstrumentation.MeterName)
                .AddOtlpExporter()
                .Build();
            // Never staler than one export interval, when that is shorter than the default refresh.
            var refresh = int.TryParse(configuration[OpenTelemetryEnvironment.MetricExportInterval], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var exportMs) && exportMs > 0
                ? TimeSpan.FromMilliseconds(Math.Min(exportMs, TopicStatsRefreshInterval.TotalMilliseconds))
                : TopicStatsRefreshInterval;
            _refresh = time.CreateTimer(static state => _ = ((TopicStatsPublisher)state!).RefreshAsync(CancellationToken.None), publisher, TimeSpan.Zero, refresh);
        }

        TelemetryLog.ExportOn(logger, traces, metrics, ServiceName);
    }

    /// <summary>The service name exported, from OTEL_SERVICE_NAME (default <c>chronoq</c>).</summary>
    public string ServiceName { get; }

    /// <summary>The tracer provider; null when trace export is off.</summary>
    public TracerProvider? Tracing { get; }

    /// <summary>The meter provider; null when metric export is off.</summary>
    public MeterProvider? Metrics { get; }

    public void Dispose()
    {
        _refresh?.Dispose();
        // Disposing flushes what is buffered: the spans of the shutdown itself reach the collector.
        Tracing?.Dispose();
        Metrics?.Dispose();
    }

    private static bool IsNone(string? exporter) => string.Equals(exporter?.Trim(), "none", StringComparison.OrdinalIgnoreCase);
}
