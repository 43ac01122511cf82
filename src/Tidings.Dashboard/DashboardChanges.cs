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

    /// <summary>
    /// Makes a change and logs what it did, or that it failed. It runs to its end even if the page that asked goes
    /// away (a purge stopped half-way by a closed tab would leave the log saying only that it was asked); only the app
    /// stopping stops it.
    /// </summary>
    public static async Task<(string Outcome, T Result)> RunAsync<T>(HttpContext http, string action, Func<CancellationToken, Task<(string Outcome, T Result)>> change)
    {
        var stopping = http.RequestServices.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>().ApplicationStopping;
        try
        {
            var done = await change(stopping).ConfigureAwait(false);
            LogOutcome(Logger(http), action, done.Outcome, Who(http));
            return done;
        }
        catch (Exception ex)
        {
            LogFailed(Logger(http), ex, action, Who(http));
            throw;
        }
    }

    private static ILogger Logger(HttpContext http) => http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Tidings.Dashboard");

    private static string Who(HttpContext http) =>
        http.User.Identity is { IsAuthenticated: true, Name: { } name } ? name : $"anonymous from {http.Connection.RemoteIpAddress}";

    [LoggerMessage(LogLevel.Warning, "Dashboard: {Action} of {Selection}, asked by {Who}.")]
    private static partial void LogChange(ILogger logger, string action, string selection, string who);

    [LoggerMessage(LogLevel.Error, "Dashboard: {Action} failed, for {Who}; what was done before the failure stays done.")]
    private static partial void LogFailed(ILogger logger, Exception exception, string action, string who);

    [LoggerMessage(LogLevel.Information, "Dashboard: {Action} done, {Outcome}, for {Who}.")]
    private static partial void LogOutcome(ILogger logger, string action, string outcome, string who);
}
