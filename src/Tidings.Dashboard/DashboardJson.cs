using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;

namespace Tidings.Dashboard;

/// <summary>The dashboard's JSON: camelCase, enums as kebab-case words, and request bodies read with a clear refusal.</summary>
internal static class DashboardJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    public static IResult Ok<T>(T value) => TypedResults.Json(value, Options);

    /// <summary>A page's size: 50 if not given, else a whole number from 1 to 500; null if it is not one.</summary>
    public static int? Limit(string? limit) =>
        string.IsNullOrEmpty(limit) ? 50
        : int.TryParse(limit, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 500 ? n
        : null;

    /// <summary>The request's JSON body as <typeparamref name="T"/>, or the problem that says why it is not one.</summary>
    public static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpRequest request, CancellationToken cancellationToken)
        where T : class
    {
        if (!request.HasJsonContentType())
        {
            return (null, DashboardProblems.BadRequest("The body must be JSON (Content-Type: application/json)."));
        }

        try
        {
            return await request.ReadFromJsonAsync<T>(Options, cancellationToken).ConfigureAwait(false) is { } value
                ? (value, null)
                : (null, DashboardProblems.BadRequest("The body is empty: it must be a JSON object."));
        }
        catch (JsonException ex)
        {
            return (null, DashboardProblems.BadRequest($"The body is not understood: {ex.Message}"));
        }
    }
}
