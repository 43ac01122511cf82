using Tidings.Transport;

namespace Tidings.Pipeline.Steps;

/// <summary>Names the message through the registry, serializes it, and builds its envelope (id, correlation, causation).</summary>
internal sealed class SerializeStep(TidingsOptions options, TimeProvider time) : IStep<SendContext>
{
    public ValueTask ProcessAsync(SendContext context, NextStep<SendContext> nextStep)
    {
        var name = options.Registry.GetName(context.MessageType);
        var body = options.Serializer.Serialize(context.Message, context.MessageType);
        var now = time.GetUtcNow();

        // The id's time is the sent-at, so that a transport may carry the one in the other.
        var messageId = context.Options?.MessageId ?? Guid.CreateVersion7(now);
        var incoming = context.Incoming;
        var incomingId = incoming?.MessageId.ToString();

        var envelope = new Envelope
        {
            MessageId = messageId,
            MessageName = name,
            // A conversation's first message correlates with its own id, carried by no transport; a reply or follow-up
            // takes the incoming message's correlation, which is that message's id when it started the conversation.
            CorrelationId = context.Options?.CorrelationId ?? incoming?.CorrelationIdToCarry ?? incomingId,
            CausationId = incomingId,
            SentAt = now,
            ContentType = options.Serializer.ContentType,
            Headers = context.HeadersIfAny,
            Body = body,
        };

        var destination = context.Queue is { } queue ? Destination.Queue(queue) : Destination.Topic(name);
        var deliverAt = context.Options?.DeliverAt ?? (context.Options?.Delay is { } delay ? now + delay : null);
        context.MessageName = name;
        context.Outgoing = new OutgoingMessage(destination, envelope, deliverAt);
        return nextStep.InvokeAsync(context);
    }
}
