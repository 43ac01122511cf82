namespace Tidings.Pipeline.Checks;

/// <summary>Refuses a body over <see cref="TidingsOptions.MaxMessageBytes"/>, unread.</summary>
internal sealed class SizeLimitCheck(TidingsOptions options) : IPoisonCheck
{
    public Refusal? Check(ReceiveContext context)
    {
        var size = context.Envelope.Body.Length;
        return size > options.MaxMessageBytes
            ? new Refusal("too-large", new MessageTooLargeException(context.Envelope.MessageName, size, options.MaxMessageBytes))
            : null;
    }
}
