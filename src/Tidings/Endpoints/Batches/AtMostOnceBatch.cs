using Microsoft.Extensions.Logging;
using Tidings.Pipeline;
using Tidings.Transport;

namespace Tidings.Endpoints.Batches;

/// <summary>
/// At-most-once: the batch is acked on receipt, then each message goes through the pipeline; one that failed is re-sent
/// as a copy (delayed to its queue, or to the dead-letter queue). A crash in between loses the messages: that is the promise.
/// </summary>
internal sealed partial class AtMostOnceBatch(EndpointRuntime endpoint, IMessageReceiver receiver, ITransport transport, TimeProvider time, ILogger logger)
    : BatchStrategy(endpoint, receiver, logger)
{
    public override async Task<bool> HandleAsync(ReceiveContext[] batch, CancellationToken abort)
    {
        if (!await SettleAsync(batch.Select(c => Settlement.Ack(c.Received)).ToList()).ConfigureAwait(false))
        {
            // Not acknowledged, so not at-most-once yet: leave the messages to come back when their leases expire.
            return false;
        }

        var settlements = new Settlement[batch.Length];
        var completed = true;
        try
        {
            await RunEachAsync(batch, settlements, abort).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The messages are acked already; what failed is re-sent below.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            ReturnAll(batch, settlements, ex, abort);
            completed = false;
        }

        await ResendFailuresAsync(settlements).ConfigureAwait(false);
        return completed;
    }

    private async Task ResendFailuresAsync(Settlement[] settlements)
    {
        var now = time.GetUtcNow();
        var copies = settlements
            .Where(s => s.Kind != SettlementKind.Ack)
            .Select(s => s.Kind == SettlementKind.DeadLetter
                ? new OutgoingMessage(Destination.Queue(DeadLetterQueues.For(EndpointName)), s.Message.Envelope)
                : new OutgoingMessage(Destination.Queue(EndpointName), s.Message.Envelope, now + s.Delay))
            .ToList();
        if (copies.Count == 0)
        {
            return;
        }

        try
        {
            await transport.SendAsync(copies, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // At-most-once accepts this loss; it is logged.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogResendFailed(Logger, ex, EndpointName, copies.Count);
        }
    }

    [LoggerMessage(LogLevel.Error, "Endpoint {Endpoint} could not re-send {Count} failed at-most-once messages; they are lost.")]
    private static partial void LogResendFailed(ILogger logger, Exception ex, string endpoint, int count);
}
