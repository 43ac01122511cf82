using Microsoft.Extensions.Logging;
using Tidings.Stores;

namespace Tidings.Pipeline.Steps;

/// <summary>Effectively-once: records the message id in the inbox, in the handler's transaction; a duplicate skips the handlers.</summary>
internal sealed partial class InboxStep(IInboxStore inbox, ILogger logger) : IStep<ReceiveContext>
{
    public async ValueTask ProcessAsync(ReceiveContext context, NextStep<ReceiveContext> nextStep)
    {
        // An optimistic batch records its ids together before the commit; with savepoints, each message records its own.
        var batch = context.Optimistic ? context.BatchTransaction!.Inbox : null;
        var first = batch?.TryAdd(context.Envelope.MessageId)
            ?? await inbox.TryRecordAsync(context.BatchTransaction!, context.EndpointName, context.Envelope.MessageId, context.CancellationToken)
                .ConfigureAwait(false);
        if (!first)
        {
            LogDuplicate(logger, context.Envelope.MessageId, context.EndpointName);
            return;
        }

        await nextStep.InvokeAsync(context).ConfigureAwait(false);
    }

    [LoggerMessage(LogLevel.Debug, "Message {MessageId} was already handled by {Endpoint}; skipping the duplicate.")]
    private static partial void LogDuplicate(ILogger logger, Guid messageId, string endpoint);
}
