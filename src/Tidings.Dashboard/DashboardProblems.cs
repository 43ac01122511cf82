using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Tidings.Dashboard;

/// <summary>The dashboard's refusals as problem details (RFC 9457), each saying what to do.</summary>
internal static partial class DashboardProblems
{
    /// <summary>A store or broker that fails mid-call: problem details for the page, the reason in the log.</summary>
    public static void AnswerFailuresWithProblems(this RouteGroupBuilder api) =>
        api.AddEndpointFilter(async (context, next) =>
        {
            try
            {
                return await next(context).ConfigureAwait(false);
            }
            catch (BadHttpRequestException ex)
            {
                return Results.Problem(ex.Message, statusCode: ex.StatusCode, title: "The request is not understood.", type: TypeBase + "bad-request");
            }
            catch (OperationCanceledException) when (context.HttpContext.RequestServices.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested)
            {
                return Results.Problem("The service is stopping; ask again once it is back.", statusCode: StatusCodes.Status503ServiceUnavailable,
                    title: "The service is stopping.", type: TypeBase + "stopping");
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !context.HttpContext.RequestAborted.IsCancellationRequested)
            {
                var http = context.HttpContext;
                LogFailed(http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Tidings.Dashboard"), ex, http.Request.Method, http.Request.Path);
                return Failed();
            }
        });

    private const string TypeBase = "https://tidings.dev/problems/dashboard-";

    public static IResult LoopbackOnly() => Results.Problem(
        "No authorization policy is configured for the Tidings dashboard, so it answers requests from this machine only. " +
        "Set TidingsDashboardOptions.AuthorizationPolicy (AddTidingsDashboard(o => o.AuthorizationPolicy = \"...\")). Behind a reverse proxy on this machine every request looks local: configure a policy there.",
        statusCode: StatusCodes.Status403Forbidden, title: "The dashboard answers this machine only.", type: TypeBase + "loopback-only");

    public static IResult ReadOnly() => Results.Problem(
        "The dashboard is read-only (TidingsDashboardOptions.ReadOnly): it shows, it does not replay or purge.",
        statusCode: StatusCodes.Status403Forbidden, title: "The dashboard is read-only.", type: TypeBase + "read-only");

    public static IResult Antiforgery() => Results.Problem(
        "A change needs the antiforgery token: GET api/session, then send its antiforgery token in the header it names, with the cookie it set.",
        statusCode: StatusCodes.Status400BadRequest, title: "The antiforgery token is missing or wrong.", type: TypeBase + "antiforgery");

    public static IResult NotFound(string what) => Results.Problem(what, statusCode: StatusCodes.Status404NotFound, title: "Not found.", type: TypeBase + "not-found");

    public static IResult BadLimit() => BadRequest("limit must be a whole number from 1 to 500.");

    public static IResult Failed() => Results.Problem(
        "The dashboard could not read or change the service's state; the service's log says why.",
        statusCode: StatusCodes.Status500InternalServerError, title: "The dashboard failed.", type: TypeBase + "failed");

    public static IResult BadRequest(string detail) => Results.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "The request is not understood.", type: TypeBase + "bad-request");

    [LoggerMessage(LogLevel.Error, "Dashboard: {Method} {Path} failed.")]
    private static partial void LogFailed(ILogger logger, Exception exception, string method, string path);
}
