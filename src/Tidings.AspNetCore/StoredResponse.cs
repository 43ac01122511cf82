using System.Globalization;
using Microsoft.AspNetCore.Http;
using Tidings.Stores;

namespace Tidings.AspNetCore;

/// <summary>A response as recorded under an idempotency key: written the first time, and given again to every retry.</summary>
internal sealed class StoredResponse(int statusCode, string? location, string? contentType, byte[] body, TimeSpan? retryAfter, bool replayed = false) : IResult
{
    /// <summary>A retry's response: the first one, marked as a replay.</summary>
    public StoredResponse(IdempotencyRecord record, TimeSpan retryAfter)
        : this(record.StatusCode, record.Location, record.ContentType, record.Body, record.StatusCode == StatusCodes.Status202Accepted ? retryAfter : null, replayed: true)
    {
    }

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var response = httpContext.Response;
        response.StatusCode = statusCode;
        if (location is not null)
        {
            response.Headers.Location = location;
        }

        if (retryAfter is { } wait)
        {
            response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        if (replayed)
        {
            // As Stripe and others mark it: the client can tell a replay from a first answer.
            response.Headers["Idempotent-Replayed"] = "true";
        }

        if (body.Length > 0)
        {
            response.ContentType = contentType;
            response.ContentLength = body.Length;
            await response.Body.WriteAsync(body, httpContext.RequestAborted).ConfigureAwait(false);
        }
    }
}
