using Microsoft.Extensions.Logging;

namespace Chronoq.Service.Telemetry.Internal;

/// <summary>The log messages of telemetry and operations endpoints, declared once.</summary>
internal static partial class TelemetryLog
{
    [LoggerMessage(600, LogLevel.Information, "OpenTelemetry export is on: traces {Traces}, metrics {Metrics}, service name {ServiceName}.", EventName = "ExportOn")]
    public static partial void ExportOn(ILogger logger, bool traces, bool metrics, string serviceName);

    [LoggerMessage(601, LogLevel.Debug, "OpenTelemetry export is off: no " + OpenTelemetryEnvironment.Endpoint + " is set.", EventName = "ExportOff")]
    public static partial void ExportOff(ILogger logger);

    [LoggerMessage(602, LogLevel.Warning, "Refreshing the engine's topic statistics for metrics failed; gauges keep their previous values.", EventName = "TopicStatsFailed")]
    public static partial void TopicStatsFailed(ILogger logger, Exception exception);
}
