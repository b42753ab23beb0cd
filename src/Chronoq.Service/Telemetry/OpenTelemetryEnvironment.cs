namespace Chronoq.Service.Telemetry;

/// <summary>
/// The standard OpenTelemetry environment variables the server honours. Export is off unless an
/// OTLP endpoint is set; the variables are read through configuration, so they may also come from
/// appsettings.json or the command line under the same names.
/// </summary>
public static class OpenTelemetryEnvironment
{
    /// <summary>The OTLP endpoint for every signal, e.g. <c>http://otel-collector:4317</c>; unset = no export.</summary>
    public const string Endpoint = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>The OTLP endpoint for traces only (a full URL, path included for http/protobuf).</summary>
    public const string TracesEndpoint = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";

    /// <summary>The OTLP endpoint for metrics only (a full URL, path included for http/protobuf).</summary>
    public const string MetricsEndpoint = "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT";

    /// <summary><c>grpc</c> (default) or <c>http/protobuf</c>.</summary>
    public const string Protocol = "OTEL_EXPORTER_OTLP_PROTOCOL";

    /// <summary>Headers sent with every export, <c>key=value,key2=value2</c>.</summary>
    public const string Headers = "OTEL_EXPORTER_OTLP_HEADERS";

    /// <summary>The export timeout in milliseconds.</summary>
    public const string Timeout = "OTEL_EXPORTER_OTLP_TIMEOUT";

    /// <summary>The service name on every span and metric; default <c>chronoq</c>.</summary>
    public const string ServiceName = "OTEL_SERVICE_NAME";

    /// <summary>Extra resource attributes, <c>key=value,…</c>.</summary>
    public const string ResourceAttributes = "OTEL_RESOURCE_ATTRIBUTES";

    /// <summary><c>true</c> turns all export off whatever the endpoints say.</summary>
    public const string SdkDisabled = "OTEL_SDK_DISABLED";

    /// <summary><c>none</c> turns trace export off.</summary>
    public const string TracesExporter = "OTEL_TRACES_EXPORTER";

    /// <summary><c>none</c> turns metric export off.</summary>
    public const string MetricsExporter = "OTEL_METRICS_EXPORTER";

    /// <summary>Milliseconds between metric exports (the SDK's default is 60,000).</summary>
    public const string MetricExportInterval = "OTEL_METRIC_EXPORT_INTERVAL";

    /// <summary>Every variable above.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        Endpoint, TracesEndpoint, MetricsEndpoint, Protocol, Headers, Timeout, ServiceName, ResourceAttributes,
        SdkDisabled, TracesExporter, MetricsExporter, MetricExportInterval,
    ];
}
