using Microsoft.Extensions.Logging;

namespace Tidings.Pipeline.Steps;

/// <summary>
/// Dead-letters a message handed out too many times without being settled: its consumer keeps dying on it
/// (a crash, an out-of-memory), and it must not take the endpoint down forever.
/// </summary>
internal sealed partial class DeliveryLimitStep(ILogger logger) : IStep<ReceiveContext>
{
    public ValueTask ProcessAsync(ReceiveContext context, NextStep<ReceiveContext> nextStep)
    {
        var max = context.Endpoint.Options.Retries.MaxDeliveries;
        if (context.Received.DeliveryCount > max)
        {
            LogTooManyDeliveries(logger, context.Envelope.MessageId, context.EndpointName, context.Received.DeliveryCount);
            context.DeadLetter("too-many-deliveries");
            return ValueTask.CompletedTask;
        }

        return nextStep.InvokeAsync(context);
    }

    [LoggerMessage(LogLevel.Error, "Message {MessageId} on {Endpoint} was delivered {Deliveries} times without being settled; dead-lettering it.")]
    private static partial void LogTooManyDeliveries(ILogger logger, Guid messageId, string endpoint, int deliveries);
}
