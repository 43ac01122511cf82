using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Tidings.AspNetCore;

/// <summary>Maps the status resource of accepted work (the asynchronous request-reply pattern).</summary>
public static class StatusEndpoints
{
    /// <summary>
    /// Maps <c>GET <paramref name="pattern"/></c> (with an <c>{id}</c> route value): 200 with the status while the work is
    /// in progress (and <c>Retry-After</c>; <c>accepted</c> until <paramref name="status"/> knows the resource), 303 See
    /// Other to the result when it is done, problem details when it failed; an <c>ETag</c> of the version, and 304 to
    /// <c>If-None-Match</c> with it. Only the caller that holds the resource's token (from the 202) may read it; any
    /// other request gets 404, whether the resource exists or not.
    /// </summary>
    public static RouteHandlerBuilder MapAcceptedStatus(
        this IEndpointRouteBuilder endpoints, string pattern, Func<string, HttpContext, Task<ResourceStatus?>> status)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(status);
        return endpoints.MapGet(pattern, (Func<HttpContext, string, Task<IResult>>)((http, id) => ReadAsync(http, id, status)))
            .Produces<StatusBody>(StatusCodes.Status200OK)
            .Produces(StatusCodes.Status303SeeOther)
            .Produces(StatusCodes.Status304NotModified)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .DescribeStatus();
    }

    private static async Task<IResult> ReadAsync(HttpContext http, string id, Func<string, HttpContext, Task<ResourceStatus?>> status)
    {
        var services = http.RequestServices;

        // For its caller only: no shared cache may keep any answer (the token travels in a header a cache does not key on).
        http.Response.Headers.CacheControl = "no-store";
        var options = services.GetRequiredService<IOptions<TidingsAspNetCoreOptions>>().Value;
        var current = services.GetRequiredService<ResourceTokens>().Allows(http, out var issuedAt)
            ? await status(id, http).ConfigureAwait(false)
            : null;

        // The token proves the work was accepted: until its first step shows (its message is on its way), it is just
        // that, for a while. After that, an unknown resource is gone (or was never kept), like one without a token.
        if (current is null && issuedAt != default && (services.GetService<TimeProvider>() ?? TimeProvider.System).GetUtcNow() - issuedAt < options.AcceptedGracePeriod)
        {
            current = new ResourceStatus(id, "accepted", ResourceOutcome.InProgress, issuedAt, 0);
        }

        if (current is null)
        {
            // Whether it exists is none of the business of someone without its token.
            return Results.Problem("There is no such resource, or this request may not read it.", statusCode: StatusCodes.Status404NotFound,
                title: "Not found.", type: "https://tidings.dev/problems/not-found");
        }

        var etag = new EntityTagHeaderValue($"\"{current.Version.ToString(CultureInfo.InvariantCulture)}\"");
        http.Response.Headers.ETag = etag.ToString();
        if (current.Outcome == ResourceOutcome.InProgress)
        {
            http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(options.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        if (current.Outcome == ResourceOutcome.Succeeded && current.ResultLocation is { } result)
        {
            // Done: a precondition never turns the redirect to the result into a 304.
            http.Response.Headers.Location = result;
            return Results.StatusCode(StatusCodes.Status303SeeOther);
        }

        if (NotModified(http.Request, etag))
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }

        if (current.Outcome == ResourceOutcome.Failed)
        {
            var failure = current.Failure ?? new ResourceFailure("The work failed.");
            return Results.Problem(failure.Detail, statusCode: StatusCodes.Status200OK, title: failure.Title, type: failure.Type,
                extensions: new Dictionary<string, object?> { ["id"] = current.Id, ["state"] = current.Status, ["version"] = current.Version });
        }

        return Results.Json(StatusBody.From(current), JsonSerializerOptions.Web);
    }

    /// <summary>If-None-Match, compared weakly (RFC 9110, 13.1.2): any of its tags, or <c>*</c>.</summary>
    private static bool NotModified(HttpRequest request, EntityTagHeaderValue etag) =>
        EntityTagHeaderValue.TryParseList(request.Headers.IfNoneMatch, out var tags)
        && tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(etag, useStrongComparison: false));
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
