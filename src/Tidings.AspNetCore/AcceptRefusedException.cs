using Microsoft.AspNetCore.Http;

namespace Tidings.AspNetCore;

/// <summary>
/// Thrown by the handler of an accepted request that refuses it (a drink the counter does not make, say): the request is
/// answered with these problem details, its transaction rolls back, and its key records nothing, so the client may
/// send a corrected request with it.
/// </summary>
public sealed class AcceptRefusedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public AcceptRefusedException()
        : this("The request was refused.")
    {
    }

    /// <summary>Creates the exception with a title.</summary>
    public AcceptRefusedException(string message)
        : this(message, detail: null)
    {
    }

    /// <summary>Creates the exception with a title and its cause.</summary>
    public AcceptRefusedException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Refuses with <paramref name="title"/> and <paramref name="detail"/>, as <paramref name="statusCode"/> (422 by default).</summary>
    public AcceptRefusedException(string title, string? detail, int statusCode = StatusCodes.Status422UnprocessableEntity, string? type = null)
        : base(title)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(statusCode, 400);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(statusCode, 499);
        Detail = detail;
        StatusCode = statusCode;
        Type = type;
    }

    /// <summary>The problem's detail.</summary>
    public string? Detail { get; }

    /// <summary>The response's status code: a 4xx.</summary>
    public int StatusCode { get; } = StatusCodes.Status422UnprocessableEntity;

    /// <summary>A URI naming the problem, if any.</summary>
    public string? Type { get; }
}
