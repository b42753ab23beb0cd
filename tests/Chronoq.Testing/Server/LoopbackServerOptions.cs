using Microsoft.AspNetCore.Builder;

namespace Chronoq.Testing.Server;

/// <summary>How a <see cref="LoopbackServer"/> is set up before it starts.</summary>
public sealed class LoopbackServerOptions
{
    /// <summary>Extra configuration, e.g. <c>["Chronoq:MaxReceiveMessageSize"] = "1024"</c>; applied last, so it wins.</summary>
    public Dictionary<string, string?> Configuration { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Runs on the builder after the Chronoq defaults, e.g. to add test services with <c>AddGrpcService</c>.</summary>
    public Action<WebApplicationBuilder>? ConfigureBuilder { get; set; }

    /// <summary>
    /// Error and Critical logs this returns true for are expected (e.g. a test handler that throws);
    /// any other one fails the test when the server is disposed.
    /// </summary>
    public Func<CapturedLog, bool>? IsExpectedError { get; set; }

    /// <summary>How long shutdown waits for open calls before aborting them. Short, so a test never hangs on a stream.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
