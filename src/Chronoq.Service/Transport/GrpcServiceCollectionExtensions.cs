using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Chronoq.Service.Transport;

/// <summary>Registers gRPC services with the host.</summary>
public static class GrpcServiceCollectionExtensions
{
    /// <summary>
    /// Adds a service the gRPC endpoint will host. This is the one registration point: e.g.
    /// <c>services.AddGrpcService&lt;ChronoqApiService&gt;()</c> from the API handlers.
    /// </summary>
    public static IServiceCollection AddGrpcService<TService>(this IServiceCollection services)
        where TService : class, IGrpcService
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IGrpcService, TService>());
        return services;
    }
}
