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
    /// <summary>Acked on receipt; not acknowledged means not at-most-once yet: the messages come back when their leases expire.</summary>
    protected override Task<bool> BeginAsync(ReceiveContext[] batch) => SettleAsync(batch.Select(c => Settlement.Ack(c.Received)).ToList());

    protected override Task RunBatchAsync(ReceiveContext[] batch, Settlement[] settlements, CancellationToken abort) =>
        RunEachAsync(batch, settlements, abort);

    /// <summary>Acked already: what failed is re-sent as a copy.</summary>
    protected override Task FinishAsync(Settlement[] settlements) => ResendFailuresAsync(settlements);

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
