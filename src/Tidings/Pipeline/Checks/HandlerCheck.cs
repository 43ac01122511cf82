namespace Tidings.Pipeline.Checks;

/// <summary>Refuses a registered message this endpoint has no handler or saga for.</summary>
internal sealed class HandlerCheck : IPoisonCheck
{
    public Refusal? Check(ReceiveContext context) =>
        context.Endpoint.Takes(context.MessageType!)
            ? null
            : new Refusal("no-handler", new InvalidOperationException($"Endpoint '{context.EndpointName}' has no handler or saga for '{context.Envelope.MessageName}'."));
}
