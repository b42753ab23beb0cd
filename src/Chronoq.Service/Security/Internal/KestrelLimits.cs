using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Chronoq.Service.Security.Internal;

/// <summary>
/// Applies <see cref="ChronoqLimitsOptions"/> to Kestrel. A post-configure step, so it has the last
/// word over the endpoint set-up's own defaults.
/// </summary>
internal sealed class KestrelLimits(IOptions<ChronoqLimitsOptions> limits) : IPostConfigureOptions<KestrelServerOptions>
{
    public void PostConfigure(string? name, KestrelServerOptions options)
    {
        var settings = limits.Value;
        options.Limits.MaxConcurrentConnections = settings.MaxConnections;

        // Kestrel counts upgraded (e.g. WebSocket) connections separately; none are served, so the same cap.
        options.Limits.MaxConcurrentUpgradedConnections = settings.MaxConnections;
        options.Limits.MaxRequestHeadersTotalSize = settings.MaxRequestHeadersTotalSize;
        options.Limits.MaxRequestHeaderCount = settings.MaxRequestHeaderCount;
        options.Limits.Http2.MaxStreamsPerConnection = settings.MaxStreamsPerConnection;
        options.Limits.Http2.MaxRequestHeaderFieldSize = settings.MaxRequestHeaderFieldSize;
    }
}
