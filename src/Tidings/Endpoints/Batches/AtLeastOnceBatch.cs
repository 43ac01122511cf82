using Microsoft.Extensions.Logging;
using Tidings.Pipeline;
using Tidings.Pipeline.Steps;
using Tidings.Transport;

namespace Tidings.Endpoints.Batches;

/// <summary>
/// At-least-once: each message through the pipeline, then what the successful handlers sent leaves in one send for the
/// batch, then the whole batch is settled at once (ack, retry, dead-letter).
/// </summary>
/// <remarks>
/// One send for the batch rather than one per message: each send waits for the transport to store the messages (an
/// fsync on SQLite, publisher confirms on RabbitMQ), and a handler that replies would otherwise pay that wait in turn
/// for every message of the batch. Messages still leave before the message that caused them is acknowledged, and a
/// handler that fails sends nothing.
/// </remarks>
internal sealed partial class AtLeastOnceBatch(EndpointRuntime endpoint, IMessageReceiver receiver, ITransport transport, ILogger logger)
    : BatchStrategy(endpoint, receiver, logger)
{
    protected override async Task RunBatchAsync(ReceiveContext[] batch, Settlement[] settlements, CancellationToken abort)
    {
        foreach (var context in batch)
        {
            context.BatchSends = true;
        }

        await RunEachAsync(batch, settlements, abort).ConfigureAwait(false);
        var outgoing = Sent(batch, settlements);
        if (outgoing is null)
        {
            return;
        }

        try
        {
            await transport.SendAsync(outgoing, abort).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // One refused message (to a queue that is gone, say) must not hold back its neighbours: each message's
            // messages are sent on their own, and only a message whose own send fails is retried or dead-lettered.
            // Some may have been stored by the failed send and are sent again, with the same ids.
            LogBatchSendFailed(Logger, ex, EndpointName, outgoing.Count);
            await SendEachAsync(batch, settlements, abort).ConfigureAwait(false);
        }
    }

    /// <summary>Everything the batch's acknowledged messages staged, in order; null if nothing.</summary>
    private static List<OutgoingMessage>? Sent(ReceiveContext[] batch, Settlement[] settlements)
    {
        List<OutgoingMessage>? outgoing = null;
        for (var i = 0; i < batch.Length; i++)
        {
            if (settlements[i].Kind == SettlementKind.Ack && batch[i].HasOutgoing)
            {
                (outgoing ??= []).AddRange(batch[i].Outgoing);
            }
        }

        return outgoing;
    }

    private async Task SendEachAsync(ReceiveContext[] batch, Settlement[] settlements, CancellationToken abort)
    {
        for (var i = 0; i < batch.Length; i++)
        {
            var context = batch[i];
            if (settlements[i].Kind != SettlementKind.Ack || !context.HasOutgoing)
            {
                continue;
            }

            // The send alone is tried again, as often as the handler would have been: its handler succeeded.
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    await transport.SendAsync(context.Outgoing, abort).ConfigureAwait(false);
                    break;
                }
                catch (Exception ex) when (ex is not OperationCanceledException && attempt < Endpoint.Options.Retries.ImmediateRetries)
                {
                    LogSendRetry(Logger, ex, context.Envelope.MessageId, EndpointName, attempt + 1);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    RetryStep.RedeliverOrDeadLetter(context, ex, Logger);
                    settlements[i] = context.Settlement;
                    break;
                }
            }
        }
    }

    [LoggerMessage(LogLevel.Debug, "What message {MessageId} on {Endpoint} sent could not be sent (attempt {Attempt}); trying again at once.")]
    private static partial void LogSendRetry(ILogger logger, Exception ex, Guid messageId, string endpoint, int attempt);

    [LoggerMessage(LogLevel.Warning, "Endpoint {Endpoint} could not send the {Count} messages its batch's handlers sent together; sending them message by message.")]
    private static partial void LogBatchSendFailed(ILogger logger, Exception ex, string endpoint, int count);
}
