using Chronoq.Service.Api;
using Chronoq.Service.Storage.Internal;
using Chronoq.Service.Transport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Chronoq.Service.Storage;

/// <summary>Registers the engine, its storage and the Chronoq API with the host.</summary>
public static class EngineServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="ChronoqEngineHost"/> as a hosted service (storage chosen from
    /// <c>ConnectionStrings:Chronoq</c>, settings from <c>Chronoq:Storage</c>, validated at start-up)
    /// and maps the chronoq.v1.Chronoq handlers.
    /// </summary>
    public static IServiceCollection AddChronoqEngine(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<ChronoqStorageOptions>()
            .BindConfiguration(ChronoqStorageOptions.SectionName)
            .Configure<IConfiguration>(static (options, configuration) =>
                options.ConnectionString = configuration.GetConnectionString(ChronoqStorageOptions.ConnectionStringName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<ChronoqStorageOptions>, StorageOptionsValidator>();
        services.AddSingleton<ChronoqEngineHost>();
        services.AddHostedService(static provider => provider.GetRequiredService<ChronoqEngineHost>());
        services.AddGrpcService<ChronoqApiService>();
        return services;
    }
}
