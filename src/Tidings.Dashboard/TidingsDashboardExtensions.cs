using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Tidings.Dashboard;

/// <summary>Registers and mounts the Tidings dashboard.</summary>
public static class TidingsDashboardExtensions
{
    /// <summary>The dashboard's options and the antiforgery its changes need.</summary>
    public static IServiceCollection AddTidingsDashboard(this IServiceCollection services, Action<TidingsDashboardOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = new TidingsDashboardOptions();
        configure?.Invoke(options);
        services.AddSingleton(options);
        services.AddAntiforgery(a => a.HeaderName = TidingsDashboardOptions.AntiforgeryHeader);
        return services;
    }

    /// <summary>
    /// Mounts the dashboard at <paramref name="prefix"/>: its JSON API under <c>{prefix}/api</c>. Every request needs the
    /// configured authorization policy, or, without one, comes from this machine.
    /// </summary>
    public static RouteGroupBuilder MapTidingsDashboard(this IEndpointRouteBuilder app, string prefix = "/tidings")
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.ServiceProvider.GetService<TidingsDashboardOptions>()
            ?? throw new InvalidOperationException("Call services.AddTidingsDashboard() before MapTidingsDashboard(): it registers the dashboard's options and antiforgery.");
        var group = app.MapGroup(prefix);
        if (options.AuthorizationPolicy is { } policy)
        {
            group.RequireAuthorization(policy);
        }
        else
        {
            group.AddEndpointFilter(async (context, next) =>
                LoopbackGate.Admits(context.HttpContext) ? await next(context).ConfigureAwait(false) : DashboardProblems.LoopbackOnly());
        }

        var api = group.MapGroup("api");
        api.MapGet("antiforgery", (HttpContext http, IAntiforgery antiforgery) =>
            TypedResults.Ok(new { token = antiforgery.GetAndStoreTokens(http).RequestToken, header = TidingsDashboardOptions.AntiforgeryHeader }));
        FailureEndpoints.Map(api, options);
        return group;
    }
}
