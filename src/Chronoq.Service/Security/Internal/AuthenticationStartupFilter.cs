using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Chronoq.Service.Security.Internal;

/// <summary>Puts <see cref="AuthenticationMiddleware"/> first in the pipeline, ahead of the gRPC dispatcher the host adds.</summary>
internal sealed class AuthenticationStartupFilter : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        var middleware = app.ApplicationServices.GetRequiredService<AuthenticationMiddleware>();
        app.Use(middleware.InvokeAsync);
        next(app);
    };
}
