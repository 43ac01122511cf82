using Microsoft.Extensions.Logging;

namespace Tidings.Pipeline.Steps;

/// <summary>
/// Resolves the message name through the registry and deserializes the body. An unknown name, a body that does
/// not parse, or a message this endpoint has no handler for is dead-lettered at once: retrying cannot help.
/// </summary>
internal sealed partial class DeserializeStep(MessageDeserializer deserializer, ILogger logger) : IStep<ReceiveContext>
{
    public ValueTask ProcessAsync(ReceiveContext context, NextStep<ReceiveContext> nextStep)
    {
        if (context.Message is not null)
        {
            // Prepared before the batch began its transaction.
            return nextStep.InvokeAsync(context);
        }

        var envelope = context.Envelope;
        if (!deserializer.TryResolve(context, out var type))
        {
            LogRefused(logger, envelope.MessageId, context.EndpointName, "unknown-message-name", envelope.MessageName);
            context.DeadLetter("unknown-message-name",
                new InvalidOperationException($"Message name '{envelope.MessageName}' is not registered with this service."));
            return ValueTask.CompletedTask;
        }

        if (!context.Endpoint.HandlersByType.ContainsKey(type))
        {
            LogRefused(logger, envelope.MessageId, context.EndpointName, "no-handler", envelope.MessageName);
            context.DeadLetter("no-handler",
                new InvalidOperationException($"Endpoint '{context.EndpointName}' has no handler for '{envelope.MessageName}'."));
            return ValueTask.CompletedTask;
        }

        try
        {
            deserializer.Deserialize(context, type);
        }
#pragma warning disable CA1031 // Any failure to read the body makes the message poison; the exception travels in its headers.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogRefused(logger, envelope.MessageId, context.EndpointName, "deserialization-failed", envelope.MessageName);
            context.DeadLetter("deserialization-failed", ex);
            return ValueTask.CompletedTask;
        }

        return nextStep.InvokeAsync(context);
    }

    [LoggerMessage(LogLevel.Error, "Message {MessageId} on {Endpoint} dead-lettered without retries ({Reason}): name '{MessageName}'.")]
    private static partial void LogRefused(ILogger logger, Guid messageId, string endpoint, string reason, string messageName);
}
