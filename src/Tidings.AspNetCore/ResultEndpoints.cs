using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Tidings.AspNetCore;

/// <summary>Maps the result of accepted work: where its status resource sends the caller (303 See Other) once it is done.</summary>
public static class ResultEndpoints
{
    /// <summary>
    /// Maps <c>GET <paramref name="pattern"/></c> (with an <c>{id}</c> route value), a resource one segment under the
    /// status resource (<c>/orders/{id}/receipt</c> under <c>/orders/{id}</c>): read with the same token as the status,
    /// so only the caller that was given the 202 may read it. <paramref name="result"/> gives the body, or null while
    /// there is none (not done, or not done well); the caller then gets 404, as does anyone without the token.
    /// </summary>
    public static RouteHandlerBuilder MapAcceptedResult<TResult>(
        this IEndpointRouteBuilder endpoints, string pattern, Func<string, HttpContext, Task<TResult?>> result)
        where TResult : class
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(result);
        return endpoints.MapGet(pattern, (Func<HttpContext, string, Task<IResult>>)((http, id) => ReadAsync(http, id, result)))
            .Produces<TResult>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .DescribeResult();
    }

    private static async Task<IResult> ReadAsync<TResult>(HttpContext http, string id, Func<string, HttpContext, Task<TResult?>> result)
        where TResult : class
    {
        // For its caller only: no shared cache may keep it (the token travels in a header a cache does not key on).
        http.Response.Headers.CacheControl = "no-store";
        var body = http.RequestServices.GetRequiredService<ResourceTokens>().Allows(http, out _, subresource: true)
            ? await result(id, http).ConfigureAwait(false)
            : null;
        return body is null
            ? Results.Problem("There is no such result, or this request may not read it.", statusCode: StatusCodes.Status404NotFound,
                title: "Not found.", type: "https://tidings.dev/problems/not-found")
            : Results.Json(body, System.Text.Json.JsonSerializerOptions.Web);
    }
}
