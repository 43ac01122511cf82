using Microsoft.AspNetCore.Http;

namespace Tidings.Dashboard;

/// <summary>The dashboard's refusals as problem details (RFC 9457), each saying what to do.</summary>
internal static class DashboardProblems
{
    private const string TypeBase = "https://tidings.dev/problems/dashboard-";

    public static IResult LoopbackOnly() => Results.Problem(
        "No authorization policy is configured for the Tidings dashboard, so it answers requests from this machine only. " +
        "Set TidingsDashboardOptions.AuthorizationPolicy (AddTidingsDashboard(o => o.AuthorizationPolicy = \"...\")). Behind a reverse proxy on this machine every request looks local: configure a policy there.",
        statusCode: StatusCodes.Status403Forbidden, title: "The dashboard answers this machine only.", type: TypeBase + "loopback-only");

    public static IResult ReadOnly() => Results.Problem(
        "The dashboard is read-only (TidingsDashboardOptions.ReadOnly): it shows, it does not replay or purge.",
        statusCode: StatusCodes.Status403Forbidden, title: "The dashboard is read-only.", type: TypeBase + "read-only");

    public static IResult Antiforgery() => Results.Problem(
        "A change needs the antiforgery token: GET api/antiforgery, then send its token in the header it names, with the cookie it set.",
        statusCode: StatusCodes.Status400BadRequest, title: "The antiforgery token is missing or wrong.", type: TypeBase + "antiforgery");

    public static IResult NotFound(string what) => Results.Problem(what, statusCode: StatusCodes.Status404NotFound, title: "Not found.", type: TypeBase + "not-found");

    public static IResult BadRequest(string detail) => Results.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "The request is not understood.", type: TypeBase + "bad-request");
}
