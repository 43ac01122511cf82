using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tidings.Sqlite;

/// <summary>Headers stored as a JSON object of strings (readable with any SQLite tool).</summary>
internal static class HeaderJson
{
    public static string Write(Dictionary<string, string> headers) =>
        headers.Count == 0 ? "{}" : JsonSerializer.Serialize(headers, HeaderJsonContext.Default.DictionaryStringString);

    public static Dictionary<string, string> Read(string json)
    {
        var headers = json == "{}" ? null : JsonSerializer.Deserialize(json, HeaderJsonContext.Default.DictionaryStringString);
        return headers is null ? new Dictionary<string, string>(StringComparer.Ordinal) : new Dictionary<string, string>(headers, StringComparer.Ordinal);
    }
}

[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class HeaderJsonContext : JsonSerializerContext;
