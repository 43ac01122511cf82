using Microsoft.Extensions.Logging;

namespace Tidings.Pipeline.Steps;

/// <summary>
/// Dead-letters a message its consumers abandoned too often (they died or lost the lease while holding it): it may be
/// what kills them (a crash, an out-of-memory), and it must not take the endpoint down forever.
/// </summary>
internal sealed partial class DeliveryLimitStep(ILogger logger) : IStep<ReceiveContext>
{
    public ValueTask ProcessAsync(ReceiveContext context, NextStep<ReceiveContext> nextStep)
    {
        var max = context.Endpoint.Options.Retries.MaxAbandonedDeliveries;
        if (context.Received.AbandonedDeliveries >= max)
        {
            LogTooManyDeliveries(logger, context.Envelope.MessageId, context.EndpointName, context.Received.AbandonedDeliveries);
            context.DeadLetter("abandoned-too-often");
            return ValueTask.CompletedTask;
        }

        return nextStep.InvokeAsync(context);
    }

    [LoggerMessage(LogLevel.Error, "Message {MessageId} on {Endpoint} was abandoned by its consumers {Deliveries} times; dead-lettering it.")]
    private static partial void LogTooManyDeliveries(ILogger logger, Guid messageId, string endpoint, int deliveries);
}
