using System.Diagnostics;

namespace Chronoq.Sdk;

/// <summary>
/// The SDK's tracing: one <see cref="ActivitySource"/> named <see cref="ActivitySourceName"/>.
/// Puts start a Producer activity and carry its W3C <c>traceparent</c> in the job's headers; the
/// worker starts a Consumer activity per job whose parent is that producer context (and which
/// links to it), so a trace follows a job from producer to consumer across the queue. Subscribe
/// with OpenTelemetry's <c>AddSource("Chronoq.Sdk")</c> or an <see cref="ActivityListener"/>.
/// </summary>
public static class ChronoqTelemetry
{
    /// <summary>The name of the SDK's activity source: <c>Chronoq.Sdk</c>.</summary>
    public const string ActivitySourceName = "Chronoq.Sdk";

    /// <summary>The job header holding the producer's W3C trace context.</summary>
    public const string TraceParentHeader = "traceparent";

    /// <summary>The job header holding the producer's W3C trace state, when it has one.</summary>
    public const string TraceStateHeader = "tracestate";

    internal static ActivitySource Source { get; } = new(ActivitySourceName, typeof(ChronoqTelemetry).Assembly.GetName().Version?.ToString());
}
