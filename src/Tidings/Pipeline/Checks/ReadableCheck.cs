namespace Tidings.Pipeline.Checks;

/// <summary>Refuses a message the transport could not read into an envelope (it says why in <see cref="Transport.ReceivedMessage.ReadError"/>).</summary>
internal sealed class ReadableCheck : IPoisonCheck
{
    public Refusal? Check(ReceiveContext context) =>
        context.Received.ReadError is { } error ? new Refusal("unreadable", error) : null;
}
