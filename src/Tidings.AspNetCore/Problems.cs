using Microsoft.AspNetCore.Http;

namespace Tidings.AspNetCore;

/// <summary>The problem details (RFC 9457) accepted requests answer with; each has a type URI naming the problem.</summary>
internal static class Problems
{
    private const string TypeBase = "https://tidings.dev/problems/";

    public static IResult BadRequest(string detail, string problem) =>
        Results.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "The request cannot be accepted as it is.", type: TypeBase + problem);

    public static IResult TooLarge(long limit) =>
        Results.Problem($"The body is longer than {limit} bytes.", statusCode: StatusCodes.Status413PayloadTooLarge, title: "The request is too large.", type: TypeBase + "body-too-large");

    public static IResult UnsupportedMediaType() => Results.Problem(
        "Send the body as JSON (Content-Type: application/json).", statusCode: StatusCodes.Status415UnsupportedMediaType,
        title: "The body must be JSON.", type: TypeBase + "unsupported-media-type");

    /// <summary>The draft's 409: the first request with the key is still being handled; retry later.</summary>
    public static IResult InFlight(string header) => Results.Problem(
        $"A request with this {header} is still being handled. Retry it in a moment to get its response.",
        statusCode: StatusCodes.Status409Conflict, title: "A request with this idempotency key is in progress.", type: TypeBase + "idempotency-key-in-flight");

    /// <summary>The draft's 422: the key was used for a different request (another method, path or body).</summary>
    public static IResult KeyReused(string header) => Results.Problem(
        $"This {header} was used for a different request. Use a new key for a new request.",
        statusCode: StatusCodes.Status422UnprocessableEntity, title: "The idempotency key belongs to another request.", type: TypeBase + "idempotency-key-reused");
}
