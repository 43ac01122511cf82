namespace Tidings.Serialization;

/// <summary>Turns messages into bodies and back. The type is always given by the caller, never read from the body.</summary>
public interface IMessageSerializer
{
    /// <summary>The media type of the bodies this serializer writes.</summary>
    string ContentType { get; }

    /// <summary>Serializes <paramref name="message"/> as <paramref name="type"/>.</summary>
    byte[] Serialize(object message, Type type);

    /// <summary>Deserializes <paramref name="body"/> as <paramref name="type"/>; throws when the body is malformed.</summary>
    object Deserialize(ReadOnlyMemory<byte> body, Type type);
}
