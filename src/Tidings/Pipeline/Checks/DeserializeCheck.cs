using Tidings.Serialization;

namespace Tidings.Pipeline.Checks;

/// <summary>Deserializes the body as the resolved type; refuses a body that does not parse, with the parse error.</summary>
internal sealed class DeserializeCheck(IMessageSerializer serializer) : IPoisonCheck
{
    public Refusal? Check(ReceiveContext context)
    {
        try
        {
            context.Message = serializer.Deserialize(context.Envelope.Body, context.MessageType!);
            return null;
        }
#pragma warning disable CA1031 // Any failure to read the body makes the message poison; the exception travels in its headers.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return new Refusal("deserialization-failed", ex);
        }
    }
}
