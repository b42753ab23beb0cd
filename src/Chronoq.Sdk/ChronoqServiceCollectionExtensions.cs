using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Chronoq.Sdk.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Chronoq.Sdk;

/// <summary>Registers the Chronoq client and hosted workers with dependency injection.</summary>
public static class ChronoqServiceCollectionExtensions
{
    /// <summary>
    /// Registers one shared <see cref="ChronoqClient"/> (a singleton the container disposes),
    /// configured from <see cref="ChronoqClientOptions.Default"/> by <paramref name="configure"/>,
    /// e.g. <c>o =&gt; o with { Address = new("http://queue:50051") }</c>. The client logs
    /// through the container's <see cref="ILoggerFactory"/> unless the options name another.
    /// </summary>
    public static IServiceCollection AddChronoqClient(this IServiceCollection services, Func<ChronoqClientOptions, ChronoqClientOptions>? configure = null) =>
        services.AddChronoqClient((_, defaults) => configure?.Invoke(defaults) ?? defaults);

    /// <summary>Registers one shared <see cref="ChronoqClient"/> whose options may depend on other services (e.g. configuration).</summary>
    public static IServiceCollection AddChronoqClient(this IServiceCollection services, Func<IServiceProvider, ChronoqClientOptions, ChronoqClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.TryAddSingleton(provider =>
        {
            var defaults = ChronoqClientOptions.Default;
            if (provider.GetService<ILoggerFactory>() is { } loggerFactory)
            {
                defaults = defaults with { LoggerFactory = loggerFactory };
            }

            return new ChronoqClient(configure(provider, defaults));
        });
        return services;
    }

    /// <summary>
    /// Runs a worker as a hosted service: it reserves jobs of <paramref name="topic"/>, reads each
    /// body as <typeparamref name="T"/> through <paramref name="typeInfo"/> (e.g. from a
    /// source-generated context) and hands it to a <typeparamref name="THandler"/> resolved from a
    /// fresh scope. Needs a client: call <see cref="AddChronoqClient(IServiceCollection, Func{ChronoqClientOptions, ChronoqClientOptions}?)"/> too.
    /// </summary>
    public static IServiceCollection AddChronoqWorker<THandler, T>(this IServiceCollection services, string topic, JsonTypeInfo<T> typeInfo, ChronoqWorkerOptions? options = null)
        where THandler : class, IChronoqJobHandler<T>
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(typeInfo);
        PutValidation.ThrowIfInvalidTopic(topic, nameof(topic));
        options ??= ChronoqWorkerOptions.Default;
        options.Validate();
        services.TryAddScoped<THandler>();
        services.AddSingleton<IHostedService>(provider => new ChronoqWorker<THandler, T>(
            provider.GetRequiredService<ChronoqClient>(),
            provider.GetRequiredService<IServiceScopeFactory>(),
            topic,
            typeInfo,
            options,
            (provider.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger("Chronoq.Sdk.Worker")));
        return services;
    }

    /// <summary>Runs a worker whose bodies are read with reflection-based System.Text.Json (the web defaults); see the <see cref="JsonTypeInfo{T}"/> overload.</summary>
    [RequiresUnreferencedCode("Reflection-based JSON; use the JsonTypeInfo<T> overload with a source-generated context for trimming.")]
    [RequiresDynamicCode("Reflection-based JSON; use the JsonTypeInfo<T> overload with a source-generated context for native AOT.")]
    public static IServiceCollection AddChronoqWorker<THandler, T>(this IServiceCollection services, string topic, ChronoqWorkerOptions? options = null)
        where THandler : class, IChronoqJobHandler<T> =>
        services.AddChronoqWorker<THandler, T>(topic, (JsonTypeInfo<T>)JsonSerializerOptions.Web.GetTypeInfo(typeof(T)), options);
}
