namespace Tidings.Pipeline.Checks;

/// <summary>
/// Resolves the message name through the registry of allowed names; refuses a name this service never registered (a
/// CLR type name on the wire is just that: an unknown name).
/// </summary>
internal sealed class MessageNameCheck(MessageTypeRegistry registry) : IPoisonCheck
{
    public Refusal? Check(ReceiveContext context)
    {
        var name = context.Envelope.MessageName;
        if (!registry.TryResolve(name, out var type))
        {
            return new Refusal("unknown-message-name", new InvalidOperationException($"Message name '{name}' is not registered with this service."));
        }

        context.MessageType = type;
        return null;
    }
}
