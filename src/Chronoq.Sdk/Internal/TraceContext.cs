using System.Diagnostics;

namespace Chronoq.Sdk.Internal;

/// <summary>Carries W3C trace context in job headers: written by puts, read by the worker.</summary>
internal static class TraceContext
{
    /// <summary>Adds <c>traceparent</c> (and <c>tracestate</c>) of <paramref name="activity"/> unless the caller set its own.</summary>
    public static void Inject(Activity? activity, IDictionary<string, string> headers)
    {
        if (activity is null || activity.IdFormat != ActivityIdFormat.W3C || headers.ContainsKey(ChronoqTelemetry.TraceParentHeader))
        {
            return;
        }

        headers[ChronoqTelemetry.TraceParentHeader] = activity.Id!;
        if (!string.IsNullOrEmpty(activity.TraceStateString))
        {
            headers[ChronoqTelemetry.TraceStateHeader] = activity.TraceStateString;
        }
    }

    /// <summary>The producer's context from the headers, or default when there is none or it does not parse.</summary>
    public static ActivityContext Extract(IReadOnlyDictionary<string, string> headers)
    {
        if (!headers.TryGetValue(ChronoqTelemetry.TraceParentHeader, out var traceParent))
        {
            return default;
        }

        headers.TryGetValue(ChronoqTelemetry.TraceStateHeader, out var traceState);
        return ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var context) ? context : default;
    }
}
