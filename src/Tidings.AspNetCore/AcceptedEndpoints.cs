using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Tidings.AspNetCore;

/// <summary>Maps endpoints that accept work with 202 and finish it asynchronously.</summary>
public static class AcceptedEndpoints
{
    /// <summary>
    /// Maps <c>POST <paramref name="pattern"/></c>: the JSON body as <typeparamref name="TRequest"/>, the
    /// <c>Idempotency-Key</c> checked, <paramref name="handle"/> run in a transaction of the service's own database (its
    /// data and messages, through the <see cref="AcceptContext"/>), and <c>202 Accepted</c> with <c>Location</c> and
    /// <c>Retry-After</c>, recorded under the key in the same transaction. A retry with the key gets the same 202; the
    /// key with another request gets 422; while the first is in progress, 409; without a key, 400.
    /// </summary>
    public static RouteHandlerBuilder MapAccepted<TRequest>(
        this IEndpointRouteBuilder endpoints, string pattern, Func<TRequest, AcceptContext, Task<AcceptedResource>> handle)
        where TRequest : notnull
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(handle);
        return endpoints.MapPost(pattern, (Func<HttpContext, Task<IResult>>)(http => AcceptedRequest.HandleAsync(http, handle)))
            // No Accepts metadata: routing would then answer other content types 415 itself, without problem details;
            // the handler checks the content type.
            .Produces<AcceptedBody>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .DescribeAccepted<TRequest>();
    }
}
