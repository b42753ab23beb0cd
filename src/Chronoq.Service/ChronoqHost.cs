using System.Reflection;
using Chronoq.Protocol.V1;
using Chronoq.Service.Health;
using Chronoq.Service.Internal;
using Chronoq.Service.Reflection;
using Chronoq.Service.Reflection.Internal;
using Chronoq.Service.Telemetry;
using Chronoq.Service.Security;
using Chronoq.Service.Storage;
using Chronoq.Service.Transport;
using Chronoq.Service.Transport.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chronoq.Service;

/// <summary>
/// Builds the Chronoq server: the one place the host is assembled, used by Program.cs and by the
/// tests' loopback fixture. <c>CreateBuilder</c>, then add services (e.g.
/// <see cref="GrpcServiceCollectionExtensions.AddGrpcService{TService}"/>), then <c>Build</c>.
/// </summary>
public static class ChronoqHost
{
    /// <summary>The server's version, from the assembly.</summary>
    public static string Version { get; } =
        typeof(ChronoqHost).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(ChronoqHost).Assembly.GetName().Version?.ToString()
        ?? "0.0.0";

    /// <summary>
    /// Logging defaults below every configuration source. ASP.NET's per-request category: while it
    /// is enabled at any level, the host starts an Activity and a logging scope for every request
    /// (~3% of the server's CPU on unbatched Puts) for its Information-level "Request
    /// starting/finished" lines; above Information it only reports a pipeline that fails to build,
    /// an exception the host rethrows anyway. Set
    /// <c>Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics</c> to get the lines back.
    /// </summary>
    internal static readonly KeyValuePair<string, string?>[] QuietDefaults =
    [
        new("Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics", "None"),
    ];

    /// <summary>Creates a builder with the options, the Kestrel endpoints, health and reflection registered.</summary>
    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        // Lowest precedence, so appsettings, the environment and the command line can turn it back on.
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = QuietDefaults });
        var services = builder.Services;
        services.AddOptions<ChronoqOptions>().BindConfiguration(ChronoqOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ChronoqOptions>, ChronoqOptionsValidator>();
        services.AddSingleton<ChronoqEndpoints>();
        services.AddSingleton<HealthStatusRegistry>();
        services.AddSingleton(TimeProvider.System);
        services.AddGrpcService<HealthService>();
        services.AddGrpcService<ServerReflectionV1Service>();
        services.AddGrpcService<ServerReflectionV1AlphaService>();
        // The engine and its store (a hosted service started before Kestrel) and the chronoq.v1.Chronoq handlers.
        services.AddChronoqEngine();
        services.AddChronoqSecurity();
        services.AddChronoqTelemetry();
        services.AddSingleton<GrpcMethodTable>();
        services.AddSingleton<ReflectionIndex>();
        services.AddSingleton<IConfigureOptions<KestrelServerOptions>>(static sp => new ConfigureOptions<KestrelServerOptions>(kestrel =>
            KestrelEndpoints.Configure(kestrel, sp.GetRequiredService<IOptions<ChronoqOptions>>().Value, sp.GetRequiredService<ChronoqEndpoints>())));
        return builder;
    }

    /// <summary>Builds the application: maps every registered gRPC service and the shutdown hooks.</summary>
    public static WebApplication Build(WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var app = builder.Build();
        var provider = app.Services;
        var options = provider.GetRequiredService<IOptions<ChronoqOptions>>().Value;
        var logger = provider.GetRequiredService<ILoggerFactory>().CreateLogger("Chronoq.Service.Transport");
        var settings = new GrpcCallSettings(options.MaxReceiveMessageSize, options.MaxSendMessageSize, provider.GetRequiredService<TimeProvider>(), logger);

        var table = provider.GetRequiredService<GrpcMethodTable>();
        foreach (var service in provider.GetServices<IGrpcService>())
        {
            var serviceBuilder = new GrpcServiceBuilder(service.Descriptor, provider, settings);
            service.Register(serviceBuilder);
            table.Add(service.Descriptor, serviceBuilder.Handlers, settings);
        }

        // The Chronoq API is always routed: until its handlers are registered (src/Chronoq.Service/Api,
        // through AddGrpcService), each of its methods answers UNIMPLEMENTED.
        var chronoq = ChronoqReflection.Descriptor.Services[0];
        if (!table.Contains(chronoq))
        {
            table.Add(chronoq, new Dictionary<string, CallHandler>(), settings);
        }

        table.Freeze();

        var endpoints = provider.GetRequiredService<ChronoqEndpoints>();
        var dispatcher = new GrpcRequestDispatcher(table, settings, endpoints.IsGrpcPort);
        app.UseChronoqOperations();
        app.Use(dispatcher.InvokeAsync);
        // Endpoint routing (the operations endpoints) goes after the dispatcher: left to itself the
        // host would match every request against the routes first, gRPC calls included, which the
        // dispatcher answers without ever looking at a route.
        app.UseRouting();

        var hostLogger = provider.GetRequiredService<ILoggerFactory>().CreateLogger("Chronoq.Service");
        var health = provider.GetRequiredService<HealthStatusRegistry>();
        // The engine host recovers before Kestrel starts, so by now the store is chosen and open.
        var engineHost = provider.GetService<ChronoqEngineHost>();
        app.Lifetime.ApplicationStarted.Register(() =>
            HostLog.Started(hostLogger, Version, endpoints.GrpcAddress, "HTTP/2", endpoints.HttpAddress, engineHost?.StorageKind ?? "none"));
        app.Lifetime.ApplicationStopping.Register(() =>
        {
            HostLog.Stopping(hostLogger);
            health.BeginShutdown();
        });
        return app;
    }

    /// <summary>Creates and builds the server in one step, as Program.cs does.</summary>
    public static WebApplication Build(string[] args) => Build(CreateBuilder(args));
}
