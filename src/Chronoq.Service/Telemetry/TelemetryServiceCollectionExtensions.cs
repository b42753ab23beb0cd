using Chronoq.Core.Telemetry;
using Chronoq.Service.Telemetry.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Chronoq.Service.Telemetry;

/// <summary>Registers Chronoq's telemetry and operations settings with the host.</summary>
public static class TelemetryServiceCollectionExtensions
{
    /// <summary>
    /// Adds the /metrics aggregation over the <see cref="ChronoqInstrumentation.MeterName"/> meter and
    /// the .NET runtime's <c>System.Runtime</c> meter, the OpenTelemetry pipeline (OTLP export when
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set), and <see cref="ChronoqOperationsOptions"/>
    /// (<c>Chronoq:ShutdownTimeout</c> → the host's shutdown timeout).
    /// Pair with <see cref="OperationsApplicationExtensions.UseChronoqOperations"/>.
    /// </summary>
    public static IServiceCollection AddChronoqTelemetry(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<ChronoqOperationsOptions>()
            .BindConfiguration(ChronoqOperationsOptions.SectionName)
            .Validate(static o => o.ShutdownTimeout > TimeSpan.Zero && o.ShutdownTimeout <= ChronoqOperationsOptions.MaxShutdownTimeout,
                $"{ChronoqOperationsOptions.SectionName}:{nameof(ChronoqOperationsOptions.ShutdownTimeout)} must be greater than 0 and at most 1 hour.")
            .ValidateOnStart();
        services.AddSingleton<IConfigureOptions<HostOptions>>(static provider => new ConfigureOptions<HostOptions>(host =>
            host.ShutdownTimeout = provider.GetRequiredService<IOptions<ChronoqOperationsOptions>>().Value.ShutdownTimeout));
        services.AddSingleton(static _ => new MetricAggregator([ChronoqInstrumentation.MeterName, OpenTelemetryPipeline.NpgsqlSource, RuntimeInstrumentation.MeterName]));
        services.AddSingleton<TopicStatsPublisher>();
        services.AddSingleton<OperationsEndpoints>();
        services.AddSingleton<OpenTelemetryPipeline>();
        return services;
    }
}
