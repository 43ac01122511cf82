using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Tidings.Dashboard;

/// <summary>What every change (a replay, a purge, a cancel) passes: not read-only, a valid antiforgery token; then it is logged with who asked.</summary>
internal static partial class DashboardChanges
{
    public static TBuilder AsChange<TBuilder>(this TBuilder endpoint, TidingsDashboardOptions options, string action)
        where TBuilder : IEndpointConventionBuilder =>
        endpoint.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            if (options.ReadOnly)
            {
                return DashboardProblems.ReadOnly();
            }

            if (!await http.RequestServices.GetRequiredService<IAntiforgery>().IsRequestValidAsync(http).ConfigureAwait(false))
            {
                return DashboardProblems.Antiforgery();
            }

            var result = await next(context).ConfigureAwait(false);
            var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Tidings.Dashboard");
            LogChange(logger, action, http.User.Identity?.Name ?? $"anonymous from {http.Connection.RemoteIpAddress}", http.Request.Path);
            return result;
        });

    [LoggerMessage(LogLevel.Warning, "Dashboard: {Action} by {Who} ({Path}).")]
    private static partial void LogChange(ILogger logger, string action, string who, string path);
}
