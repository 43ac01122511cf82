using Microsoft.Extensions.Logging;
using Tidings.Pipeline;
using Tidings.Stores;
using Tidings.Transport;

namespace Tidings;

/// <summary>
/// One worker of an endpoint: takes a batch, runs each message through the receive pipeline, then settles the batch
/// at once. In effectively-once mode the batch shares one transaction of the service's database, so the database
/// commits once per batch instead of once per message: optimistically without savepoints, and if a message fails,
/// once more with a savepoint per message so that it fails alone.
/// </summary>
internal sealed partial class EndpointWorker(
    EndpointRuntime endpoint, IMessageReceiver receiver, ITransport transport,
    ITransactionalStore? store, IInboxStore? inbox, OutboxDispatcher? outboxDispatcher, MessageDeserializer deserializer, ILogger logger)
{
    private static readonly TimeSpan ErrorBackoff = TimeSpan.FromSeconds(1);
    private readonly EndpointOptions _options = endpoint.Options;

    /// <summary>Runs until <paramref name="stopReceiving"/>; <paramref name="abortHandling"/> cancels handlers still running at the deadline.</summary>
    public async Task RunAsync(CancellationToken stopReceiving, CancellationToken abortHandling)
    {
        while (!stopReceiving.IsCancellationRequested)
        {
            IReadOnlyList<ReceivedMessage> batch;
            try
            {
                batch = await receiver.ReceiveAsync(_options.Prefetch, stopReceiving).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopReceiving.IsCancellationRequested)
            {
                break;
            }
#pragma warning disable CA1031 // The transport may fail in any way; the worker backs off and tries again.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogReceiveFailed(logger, ex, _options.Name);
                await DelayQuietly(ErrorBackoff, stopReceiving).ConfigureAwait(false);
                continue;
            }

            if (!await ProcessBatchAsync(batch, abortHandling).ConfigureAwait(false))
            {
                // The batch could not complete (the database is down, say): pause rather than spin through the queue.
                await DelayQuietly(ErrorBackoff, stopReceiving).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Handles and settles one batch. False if it failed as a whole and went back to the queue.</summary>
    private async Task<bool> ProcessBatchAsync(IReadOnlyList<ReceivedMessage> batch, CancellationToken abort)
    {
        var atMostOnce = _options.DeliveryMode == DeliveryMode.AtMostOnce;
        if (atMostOnce && !await SettleAsync(batch.Select(Settlement.Ack).ToList()).ConfigureAwait(false))
        {
            // Not acknowledged, so not at-most-once yet: leave the messages to come back when their leases expire.
            return false;
        }

        var completed = true;
        var settlements = new Settlement[batch.Count];
        var contexts = new ReceiveContext[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            contexts[i] = new ReceiveContext(batch[i], endpoint, abort);
        }

        if (_options.DeliveryMode == DeliveryMode.EffectivelyOnce)
        {
            // Work that needs no database is done before the batch takes the service's one write transaction.
            foreach (var context in contexts)
            {
                deserializer.TryPrepare(context);
            }
        }

        try
        {
            if (_options.DeliveryMode != DeliveryMode.EffectivelyOnce)
            {
                for (var i = 0; i < contexts.Length; i++)
                {
                    settlements[i] = await ProcessOneAsync(contexts[i], abort).ConfigureAwait(false);
                }
            }
            else
            {
                try
                {
                    // Optimistic first: no savepoint per message. If any message fails, the batch starts over with them.
                    await ProcessInTransactionAsync(contexts, settlements, optimistic: true, abort).ConfigureAwait(false);
                }
                catch (BatchRestartException) when (!abort.IsCancellationRequested)
                {
                    foreach (var context in contexts)
                    {
                        context.Restart();
                        deserializer.TryPrepare(context);
                    }

                    await ProcessInTransactionAsync(contexts, settlements, optimistic: false, abort).ConfigureAwait(false);
                }
            }
        }
#pragma warning disable CA1031 // The database may be down; nothing is acked, everything comes back after a pause.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogBatchFailed(logger, ex, _options.Name, batch.Count);
            completed = false;
            for (var i = 0; i < batch.Count; i++)
            {
                settlements[i] = Settlement.Retry(batch[i], abort.IsCancellationRequested ? TimeSpan.Zero : ErrorBackoff);
            }
        }

        if (atMostOnce)
        {
            await ResendFailuresAsync(settlements).ConfigureAwait(false);
        }
        else
        {
            await SettleAsync(settlements).ConfigureAwait(false);
        }

        return completed;
    }

    /// <summary>
    /// Effectively-once: the whole batch in one transaction of the service's database, which also removes outbox rows
    /// already sent, then commits and sends what the batch staged. Optimistic, a failing message aborts the transaction
    /// (<see cref="BatchRestartException"/>); otherwise each message has a savepoint and fails alone.
    /// </summary>
    private async Task ProcessInTransactionAsync(ReceiveContext[] contexts, Settlement[] settlements, bool optimistic, CancellationToken abort)
    {
        StoreTransaction? transaction = null;
        try
        {
            transaction = await store!.BeginAsync(abort).ConfigureAwait(false);
            if (optimistic)
            {
                transaction.Inbox = await StartInboxBatchAsync(transaction, contexts, abort).ConfigureAwait(false);
            }

            for (var i = 0; i < contexts.Length; i++)
            {
                contexts[i].BatchTransaction = transaction;
                contexts[i].Optimistic = optimistic;
                settlements[i] = await ProcessOneAsync(contexts[i], abort).ConfigureAwait(false);
            }

            await CommitAsync(transaction, abort).ConfigureAwait(false);
        }
        finally
        {
            await DisposeQuietlyAsync(transaction).ConfigureAwait(false);
        }
    }

    private async Task DisposeQuietlyAsync(StoreTransaction? transaction)
    {
        if (transaction is null)
        {
            return;
        }

        try
        {
            await transaction.DisposeAsync().ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A failed rollback leaves nothing committed; the worker must live on to settle the batch.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogBatchFailed(logger, ex, _options.Name, 0);
        }
    }

    /// <summary>
    /// Duplicates already in the inbox are looked up once for the batch and skip their handlers; the ids the batch handles
    /// are recorded together before the commit. A single message records its id at once instead: one round trip either
    /// way, and a duplicate never reaches its handler.
    /// </summary>
    private async Task<InboxBatch?> StartInboxBatchAsync(StoreTransaction transaction, ReceiveContext[] contexts, CancellationToken abort)
    {
        if (contexts.Length == 1)
        {
            return null;
        }

        var recorded = await inbox!.FindRecordedAsync(transaction, _options.Name, contexts.Select(c => c.Envelope.MessageId).ToArray(), abort).ConfigureAwait(false);
        return new InboxBatch(_options.Name, recorded);
    }

    /// <summary>Records the batch's inbox entries, commits it, then sends what it staged without waiting for the relay.</summary>
    private async Task CommitAsync(StoreTransaction transaction, CancellationToken abort)
    {
        if (transaction.Inbox is { Handled.Count: > 0 } batch)
        {
            var already = await inbox!.RecordAsync(transaction, batch.Endpoint, batch.Handled, abort).ConfigureAwait(false);
            if (already.Count > 0)
            {
                throw new BatchRestartException(
                    $"{already.Count} messages of the batch were handled meanwhile by another consumer of {_options.Name}; the batch starts over.");
            }
        }

        await outboxDispatcher!.CommitAsync(transaction, abort).ConfigureAwait(false);
    }

    private async Task<Settlement> ProcessOneAsync(ReceiveContext context, CancellationToken abort)
    {
        if (abort.IsCancellationRequested)
        {
            return Settlement.Retry(context.Received, TimeSpan.Zero);
        }

        await endpoint.Pipeline.InvokeAsync(context).ConfigureAwait(false);
        return context.Settlement;
    }

    private async Task<bool> SettleAsync(IReadOnlyList<Settlement> settlements)
    {
        try
        {
            await receiver.SettleAsync(settlements, CancellationToken.None).ConfigureAwait(false);
            return true;
        }
#pragma warning disable CA1031 // Unsettled messages come back when their lease runs out: at-least-once holds.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogSettleFailed(logger, ex, _options.Name, settlements.Count);
            return false;
        }
    }

    /// <summary>At-most-once messages were acked on receipt; a failed one is re-sent as a copy (delayed, or to the dead-letter queue).</summary>
    private async Task ResendFailuresAsync(IReadOnlyList<Settlement> settlements)
    {
        var now = DateTimeOffset.UtcNow;
        var copies = settlements
            .Where(s => s.Kind != SettlementKind.Ack)
            .Select(s => s.Kind == SettlementKind.DeadLetter
                ? new OutgoingMessage(Destination.Queue(DeadLetterQueues.For(_options.Name)), s.Message.Envelope)
                : new OutgoingMessage(Destination.Queue(_options.Name), s.Message.Envelope, now + s.Delay))
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
            LogSettleFailed(logger, ex, _options.Name, copies.Count);
        }
    }

    private static async Task DelayQuietly(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping: the loop condition ends the worker.
        }
    }

    [LoggerMessage(LogLevel.Error, "Endpoint {Endpoint} could not receive; retrying shortly.")]
    private static partial void LogReceiveFailed(ILogger logger, Exception ex, string endpoint);

    [LoggerMessage(LogLevel.Error, "Endpoint {Endpoint} could not complete a batch of {Count}; the messages go back to the queue.")]
    private static partial void LogBatchFailed(ILogger logger, Exception ex, string endpoint, int count);

    [LoggerMessage(LogLevel.Error, "Endpoint {Endpoint} could not settle {Count} messages; they come back when their lease expires.")]
    private static partial void LogSettleFailed(ILogger logger, Exception ex, string endpoint, int count);
}
