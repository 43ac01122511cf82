using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Tidings.Stores;

namespace Tidings.Pipeline.Steps;

/// <summary>Effectively-once: records the message id in the inbox, in the handler's transaction; a duplicate skips the handlers.</summary>
internal sealed partial class InboxStep(IInboxStore inbox, ILogger logger) : IStep<ReceiveContext>
{
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask ProcessAsync(ReceiveContext context, NextStep<ReceiveContext> nextStep)
    {
        // An optimistic batch records its ids together before the commit; with savepoints, each message records its own.
        // So does a message handed out before: its earlier consumer may still be handling it. If that consumer has recorded
        // the id already (it was a single message, a redelivery too, or in a savepoint pass), recording at once waits for
        // its transaction and skips the handlers, rather than running them only to be rolled back at the commit.
        // Where the write lock is deferred (SQLite), recording at once would take it before the handler runs; there a
        // concurrent consumer's record is met at the commit instead, which starts the batch over.
        var batch = context.Optimistic ? context.BatchTransaction!.Inbox : null;
        var recordNow = batch is null || (MayBeInFlightElsewhere(context) && !context.BatchTransaction!.DefersWriteLock);
        var messageId = context.Envelope.MessageId;
        var first = (batch?.TryAdd(messageId, recordBeforeCommit: !recordNow) ?? true)
            && (!recordNow || await inbox.TryRecordAsync(context.BatchTransaction!, context.EndpointName, messageId, context.CancellationToken)
                .ConfigureAwait(false));
        if (!first)
        {
            LogDuplicate(logger, context.Envelope.MessageId, context.EndpointName);
            return;
        }

        await nextStep.InvokeAsync(context).ConfigureAwait(false);
    }

    private static bool MayBeInFlightElsewhere(ReceiveContext context) =>
        context.Received.DeliveryCount > 1 || context.Received.AbandonedDeliveries > 0;

    [LoggerMessage(LogLevel.Debug, "Message {MessageId} was already handled by {Endpoint}; skipping the duplicate.")]
    private static partial void LogDuplicate(ILogger logger, Guid messageId, string endpoint);
}
