namespace Chronoq.Service.Security;

/// <summary>
/// Authentication and authorization settings, bound from <c>Chronoq:Auth</c>. Reloaded with the
/// configuration: a key added, changed or marked <see cref="ApiKeyOptions.Revoked"/> takes effect
/// on the next call without a restart.
/// </summary>
public sealed class ChronoqAuthOptions
{
    /// <summary>The configuration section the options bind from.</summary>
    public const string SectionName = "Chronoq:Auth";

    /// <summary>
    /// Whether every chronoq.v1 call needs an API key (<c>authorization: Bearer KEY</c>). Default
    /// false, which is allowed only on a loopback <see cref="ChronoqOptions.GrpcUrl"/> unless
    /// <see cref="AllowUnauthenticated"/> is set.
    /// </summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// Lets the server run without authentication on a non-loopback address. Default false: the
    /// server refuses to start rather than expose an open queue by accident.
    /// </summary>
    public bool AllowUnauthenticated { get; set; }

    /// <summary>
    /// Whether server reflection needs a key too. Default false: grpcurl and similar tools can
    /// list the API without one (it is public anyway). Health checks never need a key, so
    /// Kubernetes probes keep working.
    /// </summary>
    public bool ProtectReflection { get; set; }

    /// <summary>The API keys, each stored as the SHA-256 of the key (see <see cref="ApiKeyHash"/>).</summary>
    public IList<ApiKeyOptions> Keys { get; } = [];
}
