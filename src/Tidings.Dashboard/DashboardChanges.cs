using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Tidings.Dashboard;

/// <summary>
/// What every change (a replay, a purge, a cancel) passes: not read-only, and a valid antiforgery token. Its handler
/// logs who asked for what before it acts (<see cref="LogAsked"/>), so a change that fails half-way is on record too.
/// </summary>
internal static partial class DashboardChanges
{
    public static TBuilder AsChange<TBuilder>(this TBuilder endpoint, TidingsDashboardOptions options)
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

            return await next(context).ConfigureAwait(false);
        });

    /// <summary>Logs a change about to be made: what, of which selection, by whom.</summary>
    public static void LogAsked(HttpContext http, string action, string selection) =>
        LogChange(Logger(http), action, selection, Who(http));

    /// <summary>Logs what a change did.</summary>
    public static void LogDone(HttpContext http, string action, string outcome) =>
        LogOutcome(Logger(http), action, outcome, Who(http));

    private static ILogger Logger(HttpContext http) => http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Tidings.Dashboard");

    private static string Who(HttpContext http) =>
        http.User.Identity is { IsAuthenticated: true, Name: { } name } ? name : $"anonymous from {http.Connection.RemoteIpAddress}";

    [LoggerMessage(LogLevel.Warning, "Dashboard: {Action} of {Selection}, asked by {Who}.")]
    private static partial void LogChange(ILogger logger, string action, string selection, string who);

    [LoggerMessage(LogLevel.Information, "Dashboard: {Action} done, {Outcome}, for {Who}.")]
    private static partial void LogOutcome(ILogger logger, string action, string outcome, string who);
}
