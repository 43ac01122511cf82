using Microsoft.Extensions.Logging;
using Tidings.Pipeline.Checks;

namespace Tidings.Pipeline.Steps;

/// <summary>
/// Runs the poison checks (unless a batch ran them ahead) and dead-letters a refused message at once, with its reason:
/// retrying cannot help. A message that passes goes on deserialized.
/// </summary>
internal sealed partial class PoisonCheckStep(PoisonChecks checks, ILogger logger) : IStep<ReceiveContext>
{
    public ValueTask ProcessAsync(ReceiveContext context, NextStep<ReceiveContext> nextStep)
    {
        checks.Prepare(context);
        if (context.Refusal is not { } refusal)
        {
            return nextStep.InvokeAsync(context);
        }

        LogRefused(logger, refusal.Error, context.Envelope.MessageId, context.EndpointName, refusal.Reason, context.Envelope.MessageName);
        context.DeadLetter(refusal.Reason, refusal.Error);
        return ValueTask.CompletedTask;
    }

    [LoggerMessage(LogLevel.Error, "Message {MessageId} on {Endpoint} dead-lettered without retries ({Reason}): name '{MessageName}'.")]
    private static partial void LogRefused(ILogger logger, Exception? error, Guid messageId, string endpoint, string reason, string messageName);
}
