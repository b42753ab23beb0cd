using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Chronoq.Service.Security.Internal;

/// <summary>
/// Applies <see cref="ChronoqLimitsOptions"/> to Kestrel. A post-configure step, so it has the last
/// word over the endpoint set-up's own defaults. The request-header limits are set here only as a
/// backstop, <see cref="BackstopFactor"/> times the configured ones: the configured limits are
/// enforced by <see cref="RequestHeaderLimitMiddleware"/>.
/// </summary>
internal sealed class KestrelLimits(IOptions<ChronoqLimitsOptions> limits) : IPostConfigureOptions<KestrelServerOptions>
{
    /// <summary>
    /// How far above the configured header limits Kestrel's own sit. Kestrel must let a request a
    /// little over a configured limit reach the pipeline, so it can be answered with a gRPC status
    /// naming the setting; a request over Kestrel's limit is reset with no status. Yet Kestrel's
    /// limit is what bounds the memory a request's headers can take before any of our code runs, so
    /// it stays a small multiple: twice leaves room for the usual overshoot (one oversized token or
    /// a few extra fields) while at most doubling the worst case the operator configured.
    /// </summary>
    internal const int BackstopFactor = 2;

    public void PostConfigure(string? name, KestrelServerOptions options)
    {
        var settings = limits.Value;
        options.Limits.MaxConcurrentConnections = settings.MaxConnections;

        // Kestrel counts upgraded (e.g. WebSocket) connections separately; none are served, so the same cap.
        options.Limits.MaxConcurrentUpgradedConnections = settings.MaxConnections;
        options.Limits.MaxRequestHeadersTotalSize = Backstop(settings.MaxRequestHeadersTotalSize);
        options.Limits.MaxRequestHeaderCount = Backstop(settings.MaxRequestHeaderCount);
        options.Limits.Http2.MaxStreamsPerConnection = settings.MaxStreamsPerConnection;
        options.Limits.Http2.MaxRequestHeaderFieldSize = Backstop(settings.MaxRequestHeaderFieldSize);
    }

    /// <summary>Kestrel's limit for a configured one; saturates rather than overflowing a huge setting.</summary>
    internal static int Backstop(int configured) => (int)Math.Min(int.MaxValue, (long)configured * BackstopFactor);
}
