using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tidings.Sqlite;

/// <summary>Headers stored as a JSON object of strings (readable with any SQLite tool).</summary>
internal static class HeaderJson
{
    public static string Write(Envelope envelope) =>
        envelope.HasHeaders ? JsonSerializer.Serialize(envelope.Headers, HeaderJsonContext.Default.DictionaryStringString) : "{}";

    /// <summary>The headers, or null for none (the envelope makes a dictionary only if asked). String keys compare ordinally by default.</summary>
    public static Dictionary<string, string>? Read(string json) =>
        json == "{}" ? null : JsonSerializer.Deserialize(json, HeaderJsonContext.Default.DictionaryStringString);
}

[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class HeaderJsonContext : JsonSerializerContext;
