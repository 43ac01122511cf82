using Microsoft.Extensions.Logging;
using Tidings.Pipeline;
using Tidings.Stores;
using Tidings.Transport;

namespace Tidings.Endpoints.Batches;

/// <summary>
/// Effectively-once: the whole batch in one transaction of the service's database, committed once, then settled.
/// <list type="number">
/// <item>The poison checks and deserialization, which need no database, run before the transaction begins.</item>
/// <item>Optimistic pass: a transaction that may defer the store's write lock to its first write
/// (<see cref="ITransactionalStore.BeginOptimisticAsync"/>), so handlers of one service run side by side until they write;
/// no savepoint per message; known duplicates looked up once for the batch.</item>
/// <item>Saga instances of the batch's messages are read together before the handlers run, and their writes are kept
/// (<see cref="SagaSession"/>).</item>
/// <item>Commit: the saga writes are made together, the handled ids go to the inbox and the staged messages to the
/// outbox (removing earlier sent ones), the transaction commits, and the messages are sent at once.</item>
/// <item>If a message fails, or the store reports a conflict, the batch starts over in a transaction from
/// <see cref="ITransactionalStore.BeginAsync"/> with a savepoint per message, so that the failure is retried or
/// dead-lettered alone.</item>
/// </list>
/// </summary>
internal sealed partial class EffectivelyOnceBatch(
    EndpointRuntime endpoint, IMessageReceiver receiver, ITransactionalStore store, IInboxStore inbox, ISagaStore? sagas, OutboxDispatcher outbox, ILogger logger)
    : BatchStrategy(endpoint, receiver, logger)
{
    protected override async Task RunBatchAsync(ReceiveContext[] batch, Settlement[] settlements, CancellationToken abort)
    {
        PrepareAll(batch);
        try
        {
            await RunInTransactionAsync(batch, settlements, optimistic: true, abort).ConfigureAwait(false);
        }
        catch (BatchRestartException) when (!abort.IsCancellationRequested)
        {
            foreach (var context in batch)
            {
                context.Restart();
            }

            PrepareAll(batch);
            await RunInTransactionAsync(batch, settlements, optimistic: false, abort).ConfigureAwait(false);
        }
    }

    /// <summary>Work that needs no database is done before the batch takes its transaction.</summary>
    private void PrepareAll(ReceiveContext[] batch)
    {
        foreach (var context in batch)
        {
            Endpoint.Checks.Prepare(context);
        }
    }

    private async Task RunInTransactionAsync(ReceiveContext[] batch, Settlement[] settlements, bool optimistic, CancellationToken abort)
    {
        var transaction = optimistic
            ? await store.BeginOptimisticAsync(abort).ConfigureAwait(false)
            : await store.BeginAsync(abort).ConfigureAwait(false);

        // For the handlers of this pass (this method's flow): a store refuses a transaction begun inside this one.
        StoreTransaction.SetCurrent(transaction);
        try
        {
            if (optimistic)
            {
                transaction.Inbox = await StartInboxBatchAsync(transaction, batch, abort).ConfigureAwait(false);
                try
                {
                    transaction.Sagas = await ReadSagasAsync(transaction, batch, abort).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A deadlock the database broke (a batch that locks one instance at a time can meet this one), or
                    // a failure of the database: the careful pass settles which.
                    throw new BatchRestartException(ex);
                }
            }
            else
            {
                await LockSagasAsync(transaction, batch, abort).ConfigureAwait(false);
            }

            for (var i = 0; i < batch.Length; i++)
            {
                batch[i].BatchTransaction = transaction;
                batch[i].Optimistic = optimistic;
                settlements[i] = await RunAsync(batch[i], abort).ConfigureAwait(false);
            }

            try
            {
                await CommitAsync(transaction, abort).ConfigureAwait(false);
            }
            catch (Exception ex) when (optimistic && ex is not (BatchRestartException or OperationCanceledException))
            {
                // A conflict the store found at the first write or at the commit (another writer committed since this
                // transaction read), or a failure of the database: the savepoint pass settles which.
                throw new BatchRestartException(ex);
            }
        }
        finally
        {
            await DisposeQuietlyAsync(transaction).ConfigureAwait(false);
        }
    }

    /// <summary>A failed rollback leaves nothing committed; it must not hide why the batch failed, nor stop it being settled.</summary>
    private async Task DisposeQuietlyAsync(StoreTransaction transaction)
    {
        try
        {
            await transaction.DisposeAsync().ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Logged; the batch goes on to be restarted or settled.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogDisposeFailed(Logger, ex, EndpointName);
        }
    }

    [LoggerMessage(LogLevel.Warning, "Endpoint {Endpoint} could not close a batch's transaction (its commit, if it came, stands; otherwise nothing was committed).")]
    private static partial void LogDisposeFailed(ILogger logger, Exception ex, string endpoint);

    /// <summary>
    /// Duplicates already in the inbox are looked up once for the batch and skip their handlers; the ids the batch handles
    /// are recorded together before the commit. A single message in a transaction that holds its locks from the start
    /// records its id at once instead: one round trip either way, and a duplicate never reaches its handler. Where the
    /// write lock is deferred, recording at once would take it before the handler runs.
    /// </summary>
    private async Task<InboxBatch?> StartInboxBatchAsync(StoreTransaction transaction, ReceiveContext[] batch, CancellationToken abort)
    {
        if (batch.Length == 1 && !transaction.DefersWriteLock)
        {
            return null;
        }

        var recorded = await inbox.FindRecordedAsync(transaction, EndpointName, batch.Select(c => c.Envelope.MessageId).ToArray(), abort).ConfigureAwait(false);
        return new InboxBatch(EndpointName, recorded);
    }

    /// <summary>
    /// The saga instances the batch's messages are for, read in one go before any handler runs, saga by saga in the
    /// order of their names (so batches lock rows in one order); null if the endpoint has no sagas. A one-message batch
    /// reads nothing ahead (one read either way), and only defers its writes to the commit.
    /// </summary>
    private async Task<SagaSession?> ReadSagasAsync(StoreTransaction transaction, ReceiveContext[] batch, CancellationToken abort)
    {
        if (sagas is null || Endpoint.SagasByType.Count == 0)
        {
            return null;
        }

        var session = new SagaSession(sagas);
        if (batch.Length == 1)
        {
            return session;
        }

        foreach (var (sagaName, ids) in Wanted(batch))
        {
            await session.ReadAsync(transaction, sagaName, ids, abort).ConfigureAwait(false);
        }

        return session;
    }

    /// <summary>
    /// The careful pass's locks, taken in the first pass's order before any handler runs: its handlers then find their
    /// instances one at a time, in message order, but already hold them. Without this, two careful passes (or one and a
    /// first pass) each held one instance and waited for the other's, and PostgreSQL broke the deadlock after a second.
    /// </summary>
    private async Task LockSagasAsync(StoreTransaction transaction, ReceiveContext[] batch, CancellationToken abort)
    {
        if (sagas is null || Endpoint.SagasByType.Count == 0 || batch.Length == 1)
        {
            return;
        }

        foreach (var (sagaName, ids) in Wanted(batch))
        {
            await sagas.FindManyAsync(transaction, sagaName, ids.Distinct(StringComparer.Ordinal).ToList(), abort).ConfigureAwait(false);
        }
    }

    /// <summary>The instances the batch's messages are for, saga by saga in the order of their names.</summary>
    private IEnumerable<(string SagaName, List<string> CorrelationIds)> Wanted(ReceiveContext[] batch)
    {
        Dictionary<string, List<string>>? wanted = null;
        foreach (var context in batch)
        {
            if (context.Refusal is not null || context.MessageType is null || !Endpoint.SagasByType.TryGetValue(context.MessageType, out var bindings))
            {
                continue;
            }

            foreach (var (saga, binding) in bindings)
            {
                if (TryCorrelate(saga, binding, context) is { Length: > 0 } correlationId)
                {
                    wanted ??= [];
                    if (!wanted.TryGetValue(saga.Name, out var ids))
                    {
                        wanted[saga.Name] = ids = [];
                    }

                    ids.Add(correlationId);
                }
            }
        }

        return (wanted ?? []).OrderBy(w => w.Key, StringComparer.Ordinal).Select(w => (w.Key, w.Value));
    }

    /// <summary>
    /// The instance the message is for, or null. A correlation that throws is left for the message's own turn, where
    /// it fails that message alone (retried, then dead-lettered) rather than the batch.
    /// </summary>
    private static string? TryCorrelate(SagaRegistration saga, SagaBinding binding, ReceiveContext context)
    {
        try
        {
            return binding.TryCorrelate(saga, context, out var correlationId) ? correlationId : null;
        }
#pragma warning disable CA1031 // The user's correlation function; its failure is the message's, met again in the pipeline.
        catch (Exception)
#pragma warning restore CA1031
        {
            return null;
        }
    }

    /// <summary>
    /// Writes the batch's saga instances and records its inbox entries, commits it, then sends what it staged without
    /// waiting for the relay.
    /// </summary>
    private async Task CommitAsync(StoreTransaction transaction, CancellationToken abort)
    {
        await transaction.PrepareToWriteAsync(abort).ConfigureAwait(false);
        if (transaction.Sagas is { } session)
        {
            await session.WriteAsync(transaction, abort).ConfigureAwait(false);
        }

        if (transaction.Inbox is { Handled.Count: > 0 } handled)
        {
            var already = await inbox.RecordAsync(transaction, handled.Endpoint, handled.Handled, abort).ConfigureAwait(false);
            if (already.Count > 0)
            {
                throw new BatchRestartException(
                    $"{already.Count} messages of the batch were handled meanwhile by another consumer of {EndpointName}; the batch starts over.");
            }
        }

        await outbox.CommitAsync(transaction, abort).ConfigureAwait(false);
    }
}
