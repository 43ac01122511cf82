using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Tidings.AspNetCore;

/// <summary>Maps the cancellation of accepted work: <c>DELETE</c> of its status resource.</summary>
public static class CancelEndpoints
{
    /// <summary>
    /// Maps <c>DELETE <paramref name="pattern"/></c> (with an <c>{id}</c> route value, the status resource's pattern):
    /// <paramref name="cancel"/> runs in a transaction of the service's own database and sends what undoes the work (a
    /// command to the saga, say); it returns false where the workflow no longer allows it. 202 Accepted (the
    /// cancellation is under way; follow the status) or 409 with problem details; 404 to anyone without the resource's
    /// token, as for reading it. DELETE is idempotent: cancelling twice is the workflow's business, and a saga that is
    /// told twice does nothing the second time.
    /// </summary>
    public static RouteHandlerBuilder MapAcceptedCancel(
        this IEndpointRouteBuilder endpoints, string pattern, Func<string, AcceptContext, Task<bool>> cancel)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(cancel);
        return endpoints.MapDelete(pattern, (Func<HttpContext, string, Task<IResult>>)((http, id) => CancelAsync(http, id, cancel)))
            .Produces(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .DescribeCancel();
    }

    private static async Task<IResult> CancelAsync(HttpContext http, string id, Func<string, AcceptContext, Task<bool>> cancel)
    {
        http.Response.Headers.CacheControl = "no-store";
        var services = http.RequestServices;
        if (!services.GetRequiredService<ResourceTokens>().Allows(http, out _))
        {
            return Results.Problem("There is no such resource, or this request may not change it.", statusCode: StatusCodes.Status404NotFound,
                title: "Not found.", type: "https://tidings.dev/problems/not-found");
        }

        var sessions = services.GetService<ITransactionalSessionFactory>() ?? throw new InvalidOperationException(
            "Cancellations commit in the service's own database: configure a store in AddTidings (UseSqliteStore, UsePostgreSqlStore).");
        var session = await sessions.BeginAsync(http.RequestAborted).ConfigureAwait(false);
        await using var sessionScope = session.ConfigureAwait(false);
        var scope = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<TidingsAspNetCoreOptions>>().Value.CallerIdentity(http);
        if (!await cancel(id, new AcceptContext(session, http, scope, key: null, fingerprint: null)).ConfigureAwait(false))
        {
            return Results.Problem("The work has gone too far to be cancelled.", statusCode: StatusCodes.Status409Conflict,
                title: "It can no longer be cancelled.", type: "https://tidings.dev/problems/not-cancellable");
        }

        await session.CommitAsync(CancellationToken.None).ConfigureAwait(false);
        http.Response.Headers.Location = http.Request.Path.Value;
        return Results.StatusCode(StatusCodes.Status202Accepted);
    }
}
