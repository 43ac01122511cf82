using System.Text.Encodings.Web;
using System.Text.Json;

namespace Tidings.Cli.Output;

/// <summary>What <c>--json</c> prints: one JSON document on standard output, snake_case, as the benchmarks print theirs.</summary>
public static class JsonOutput
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Writes <paramref name="value"/> as one line.</summary>
    public static void Write(object value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, Options));
}
