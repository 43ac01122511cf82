using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Tidings.AspNetCore;

/// <summary>Maps the status resource of accepted work (the asynchronous request-reply pattern).</summary>
public static class StatusEndpoints
{
    /// <summary>
    /// Maps <c>GET <paramref name="pattern"/></c> (with an <c>{id}</c> route value): 200 with the status while the work is
    /// in progress (and <c>Retry-After</c>), 303 See Other to the result when it is done, problem details when it
    /// failed. Only a request with the resource's token (from the 202) may read it; any other gets 404, as does a
    /// resource <paramref name="status"/> does not know.
    /// </summary>
    public static RouteHandlerBuilder MapAcceptedStatus(
        this IEndpointRouteBuilder endpoints, string pattern, Func<string, HttpContext, Task<ResourceStatus?>> status)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(status);
        return endpoints.MapGet(pattern, (Func<HttpContext, string, Task<IResult>>)((http, id) => ReadAsync(http, id, status)))
            .Produces<StatusBody>(StatusCodes.Status200OK)
            .Produces(StatusCodes.Status303SeeOther)
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> ReadAsync(HttpContext http, string id, Func<string, HttpContext, Task<ResourceStatus?>> status)
    {
        var services = http.RequestServices;
        if (!services.GetRequiredService<ResourceTokens>().Allows(http.Request, id) || await status(id, http).ConfigureAwait(false) is not { } current)
        {
            // Whether it exists is none of the business of someone without its token.
            return Results.Problem("There is no such resource, or this request may not read it.", statusCode: StatusCodes.Status404NotFound,
                title: "Not found.", type: "https://tidings.dev/problems/not-found");
        }

        http.Response.Headers.ETag = $"\"{current.Version.ToString(CultureInfo.InvariantCulture)}\"";
        switch (current.Outcome)
        {
            case ResourceOutcome.Succeeded when current.ResultLocation is { } result:
                http.Response.Headers.Location = result;
                return Results.StatusCode(StatusCodes.Status303SeeOther);
            case ResourceOutcome.Failed:
                var failure = current.Failure ?? new ResourceFailure("The work failed.");
                return Results.Problem(failure.Detail, statusCode: StatusCodes.Status200OK, title: failure.Title, type: failure.Type,
                    extensions: new Dictionary<string, object?> { ["id"] = current.Id, ["status"] = current.Status, ["version"] = current.Version });
            default:
                if (current.Outcome == ResourceOutcome.InProgress)
                {
                    var retryAfter = services.GetRequiredService<IOptions<TidingsAspNetCoreOptions>>().Value.RetryAfter;
                    http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                }

                return Results.Json(StatusBody.From(current), JsonSerializerOptions.Web);
        }
    }
}

/// <summary>The status resource's body while work is in progress (or done without a separate result).</summary>
/// <param name="Id">The resource's id.</param>
/// <param name="Status">Its state in the workflow's words.</param>
/// <param name="Outcome"><c>in-progress</c> or <c>succeeded</c>.</param>
/// <param name="UpdatedAt">When it last changed.</param>
/// <param name="Version">Grows with every change.</param>
/// <param name="Details">Anything else the status provider shows.</param>
public sealed record StatusBody(string Id, string Status, string Outcome, DateTimeOffset UpdatedAt, long Version, object? Details)
{
    internal static StatusBody From(ResourceStatus status) => new(
        status.Id, status.Status, status.Outcome == ResourceOutcome.InProgress ? "in-progress" : "succeeded", status.UpdatedAt, status.Version, status.Details);
}
