using Chronoq.Service;
using Chronoq.Testing.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Chronoq.Testing;

/// <summary>
/// The real Chronoq host (Kestrel, gRPC transport, health, reflection) running in-process on
/// 127.0.0.1 with OS-assigned ports. Disposing stops it and throws if the server logged an
/// unexpected Error or Critical entry, so a test cannot pass while the server misbehaves.
/// </summary>
public sealed class LoopbackServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly CapturingLoggerProvider _logs;
    private readonly Func<CapturedLog, bool> _isExpectedError;
    private bool _stopped;

    private LoopbackServer(WebApplication app, CapturingLoggerProvider logs, Func<CapturedLog, bool> isExpectedError)
    {
        _app = app;
        _logs = logs;
        _isExpectedError = isExpectedError;
        var endpoints = app.Services.GetRequiredService<ChronoqEndpoints>();
        GrpcAddress = endpoints.GrpcAddress;
        HttpAddress = endpoints.HttpAddress;
    }

    /// <summary>The gRPC endpoint (h2c), e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri GrpcAddress { get; }

    /// <summary>The HTTP endpoint (HTTP/1.1 and HTTP/2).</summary>
    public Uri HttpAddress { get; }

    /// <summary>The server's services, e.g. to reach <c>HealthStatusRegistry</c>.</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>Every log entry at Information or above so far.</summary>
    public IReadOnlyList<CapturedLog> Logs => _logs.Logs;

    /// <summary>The Error and Critical entries not marked expected.</summary>
    public IReadOnlyList<CapturedLog> UnexpectedErrors =>
        _logs.Logs.Where(log => log.Level >= LogLevel.Error && !_isExpectedError(log)).ToList();

    /// <summary>Builds and starts a server; <paramref name="configure"/> adjusts it first.</summary>
    public static async Task<LoopbackServer> StartAsync(Action<LoopbackServerOptions>? configure = null, CancellationToken cancellationToken = default)
    {
        var options = new LoopbackServerOptions();
        configure?.Invoke(options);

        var builder = ChronoqHost.CreateBuilder([]);
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Chronoq:GrpcUrl"] = "http://127.0.0.1:0",
            ["Chronoq:HttpUrl"] = "http://127.0.0.1:0",
        };
        foreach (var (key, value) in options.Configuration)
        {
            settings[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(settings);
        var logs = new CapturingLoggerProvider(LogLevel.Information);
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = options.ShutdownTimeout);
        options.ConfigureBuilder?.Invoke(builder);

        var app = ChronoqHost.Build(builder);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new LoopbackServer(app, logs, options.IsExpectedError ?? (static _ => false));
    }

    /// <summary>Stops the server gracefully (health goes NOT_SERVING, open calls get the shutdown timeout).</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        await _app.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the server and fails if it logged an unexpected error.</summary>
    public async ValueTask DisposeAsync()
    {
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            await StopAsync(timeout.Token).ConfigureAwait(false);
        }

        await _app.DisposeAsync().ConfigureAwait(false);
        var errors = UnexpectedErrors;
        if (errors.Count > 0)
        {
            throw new InvalidOperationException("The server logged unexpected errors:" + Environment.NewLine + string.Join(Environment.NewLine, errors));
        }
    }
}
