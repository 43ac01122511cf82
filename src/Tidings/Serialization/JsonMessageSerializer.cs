using System.Text.Json;

namespace Tidings.Serialization;

/// <summary>System.Text.Json with web defaults (camelCase). Type information never travels in the body.</summary>
public sealed class JsonMessageSerializer(JsonSerializerOptions? options = null) : IMessageSerializer
{
    private readonly JsonSerializerOptions _options = options ?? new JsonSerializerOptions(JsonSerializerDefaults.Web);

    /// <inheritdoc />
    public string ContentType => "application/json";

    /// <inheritdoc />
    public byte[] Serialize(object message, Type type) => JsonSerializer.SerializeToUtf8Bytes(message, type, _options);

    /// <inheritdoc />
    public object Deserialize(ReadOnlyMemory<byte> body, Type type) =>
        JsonSerializer.Deserialize(body.Span, type, _options)
        ?? throw new JsonException($"The body deserialized to null for {type.Name}.");
}
