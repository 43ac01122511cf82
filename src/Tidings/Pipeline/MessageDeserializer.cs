namespace Tidings.Pipeline;

/// <summary>Resolves a received message's name through the registry and deserializes its body.</summary>
internal sealed class MessageDeserializer(TidingsOptions options)
{
    /// <summary>The type registered for the envelope's name, if any.</summary>
    public bool TryResolve(ReceiveContext context, out Type type) => options.Registry.TryResolve(context.Envelope.MessageName, out type);

    /// <summary>Deserializes the body as <paramref name="type"/>; throws when it is malformed.</summary>
    public void Deserialize(ReceiveContext context, Type type)
    {
        context.Message = options.Serializer.Deserialize(context.Envelope.Body, type);
        context.MessageType = type;
    }

    /// <summary>
    /// Deserializes ahead of the pipeline where that simply works; anything unusual (unknown name, no handler, a body
    /// over the limit or malformed) is left for the pipeline's steps, which dead-letter it with the reason.
    /// </summary>
    public void TryPrepare(ReceiveContext context)
    {
        // A message its consumers keep dying on is left for the pipeline, which dead-letters it before touching the body.
        if (context.Received.AbandonedDeliveries >= context.Endpoint.Options.Retries.MaxAbandonedDeliveries
            || context.Envelope.Body.Length > options.MaxMessageBytes
            || !TryResolve(context, out var type)
            || !context.Endpoint.HandlersByType.ContainsKey(type))
        {
            return;
        }

        try
        {
            Deserialize(context, type);
        }
#pragma warning disable CA1031 // Left for DeserializeStep, which dead-letters it with the parse error.
        catch (Exception)
#pragma warning restore CA1031
        {
            context.Message = null;
            context.MessageType = null;
        }
    }
}
