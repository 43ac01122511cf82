using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Tidings.Dashboard.Live;

namespace Tidings.Dashboard;

/// <summary>Registers and mounts the Tidings dashboard.</summary>
public static class TidingsDashboardExtensions
{
    /// <summary>The dashboard's options, its live state, and the antiforgery its changes need.</summary>
    public static IServiceCollection AddTidingsDashboard(this IServiceCollection services, Action<TidingsDashboardOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = new TidingsDashboardOptions();
        configure?.Invoke(options);
        if (options.RefreshInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(configure), options.RefreshInterval, "TidingsDashboardOptions.RefreshInterval must be above zero.");
        }

        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<MessageActivity>();
        services.AddSingleton<DashboardPulse>();
        services.AddSingleton<FlowListener>().AddHostedService(s => s.GetRequiredService<FlowListener>());

        // The app's own antiforgery settings stand (its header name among them): the pages ask which header to use.
        services.AddAntiforgery();
        return services;
    }

    /// <summary>
    /// Mounts the dashboard at <paramref name="prefix"/>: its pages, its JSON API under <c>{prefix}/api</c>, and its live
    /// stream. Every request needs the configured authorization policy or, without one, comes from this machine.
    /// </summary>
    public static RouteGroupBuilder MapTidingsDashboard(this IEndpointRouteBuilder app, string prefix = "/tidings")
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.ServiceProvider.GetService<TidingsDashboardOptions>()
            ?? throw new InvalidOperationException("Call services.AddTidingsDashboard() before MapTidingsDashboard(): it registers the dashboard's options and antiforgery.");
        // Counting starts now, not at the first page view: the overview's hour includes what came before anyone looked.
        _ = app.ServiceProvider.GetRequiredService<MessageActivity>();
        var group = app.MapGroup(prefix);
        if (options.AuthorizationPolicy is { } policy)
        {
            RefuseUnknownPolicy(app.ServiceProvider, policy);
            group.RequireAuthorization(policy);
        }
        else
        {
            group.AddEndpointFilter(async (context, next) =>
                LoopbackGate.Admits(context.HttpContext) ? await next(context).ConfigureAwait(false) : DashboardProblems.LoopbackOnly());
        }

        var api = group.MapGroup("api");

        api.AnswerFailuresWithProblems();
        api.MapGet("session", (HttpContext http, IAntiforgery antiforgery) =>
        {
            var tokens = antiforgery.GetAndStoreTokens(http);
            return DashboardJson.Ok(new
            {
                options.ReadOnly,
                user = http.User.Identity is { IsAuthenticated: true, Name: { } name } ? name : null,
                antiforgery = new { token = tokens.RequestToken, header = tokens.HeaderName },
            });
        });
        FailureEndpoints.Map(api, options);
        OverviewEndpoints.Map(api, group, options);
        SagaEndpoints.Map(api, options);
        FlowEndpoints.Map(api);
        DashboardAssets.Map(group);
        return group;
    }

    /// <summary>A policy named but never registered would fail every request; say so at start-up instead.</summary>
    private static void RefuseUnknownPolicy(IServiceProvider services, string policy)
    {
        var policies = services.GetService<IAuthorizationPolicyProvider>()
            ?? throw new InvalidOperationException($"The dashboard needs authorization policy '{policy}', but authorization is not registered: call services.AddAuthorization(o => o.AddPolicy(\"{policy}\", ...)).");

        // The default provider answers at once; this runs once, at start-up.
        if (policies.GetPolicyAsync(policy).GetAwaiter().GetResult() is null)
        {
            throw new InvalidOperationException($"The dashboard needs authorization policy '{policy}', and none by that name is registered: add it with services.AddAuthorization(o => o.AddPolicy(\"{policy}\", ...)).");
        }
    }
}
