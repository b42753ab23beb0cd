using Chronoq.Service.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chronoq.Service.Security.Internal;

/// <summary>
/// Puts <see cref="RequestHeaderLimitMiddleware"/> then <see cref="AuthenticationMiddleware"/> first
/// in the pipeline, ahead of the gRPC dispatcher the host adds (header limits first: an oversized
/// authorization header is refused before it is hashed), and says at start-up when the queue is open to the network on purpose.
/// </summary>
internal sealed class AuthenticationStartupFilter : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        var services = app.ApplicationServices;
        var auth = services.GetRequiredService<IOptions<ChronoqAuthOptions>>().Value;
        var grpcUrl = services.GetRequiredService<IOptions<ChronoqOptions>>().Value.GrpcUrl;
        if (!auth.Enabled && EndpointAddress.TryParse(grpcUrl, out var address) && !address.IsLoopback)
        {
            SecurityLog.OpenToNetwork(services.GetRequiredService<ILoggerFactory>().CreateLogger("Chronoq.Service.Security"), grpcUrl);
        }

        app.Use(services.GetRequiredService<RequestHeaderLimitMiddleware>().InvokeAsync);
        var middleware = services.GetRequiredService<AuthenticationMiddleware>();
        app.Use(middleware.InvokeAsync);
        next(app);
    };
}
