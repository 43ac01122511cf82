using Microsoft.Extensions.Logging;

namespace Tidings.Pipeline.Steps;

/// <summary>
/// Resolves the message name through the registry and deserializes the body. An unknown name, a body that does
/// not parse, or a message this endpoint has no handler for is dead-lettered at once: retrying cannot help.
/// </summary>
internal sealed partial class DeserializeStep(TidingsOptions options, ILogger logger) : IStep<ReceiveContext>
{
    public ValueTask ProcessAsync(ReceiveContext context, NextStep<ReceiveContext> nextStep)
    {
        var envelope = context.Envelope;
        if (!options.Registry.TryResolve(envelope.MessageName, out var type))
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
            context.Message = options.Serializer.Deserialize(envelope.Body, type);
            context.MessageType = type;
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
