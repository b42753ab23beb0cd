using Chronoq.Service.Security.Internal;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Chronoq.Service.Security;

/// <summary>Registers API-key authentication and per-topic authorization (<c>Chronoq:Auth</c>) and the connection limits (<c>Chronoq:Limits</c>).</summary>
public static class SecurityServiceCollectionExtensions
{
    /// <summary>Adds the options (validated at start-up), the key directory and the authentication middleware.</summary>
    public static IServiceCollection AddChronoqSecurity(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<ChronoqAuthOptions>().BindConfiguration(ChronoqAuthOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ChronoqAuthOptions>, AuthOptionsValidator>();
        services.AddSingleton<ChronoqRequestAuthorizer>();
        services.AddSingleton<ApiKeyDirectory>();
        services.AddSingleton<AuthenticationMiddleware>();
        services.AddSingleton<RequestHeaderLimitMiddleware>();
        services.AddSingleton<IStartupFilter, AuthenticationStartupFilter>();
        services.AddOptions<ChronoqLimitsOptions>().BindConfiguration(ChronoqLimitsOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ChronoqLimitsOptions>, LimitsOptionsValidator>();
        services.AddSingleton<IPostConfigureOptions<KestrelServerOptions>, KestrelLimits>();

        // Before the host's endpoint set-up (registered after this call): UseHttps copies the HTTPS defaults when it runs.
        services.AddOptions<ChronoqClientCertificateOptions>().BindConfiguration(ChronoqClientCertificateOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ChronoqClientCertificateOptions>, ClientCertificateOptionsValidator>();
        services.AddSingleton<IConfigureOptions<KestrelServerOptions>, ClientCertificateValidation>();
        return services;
    }
}
