using System.Data.Common;
using Tidings.Pipeline;
using Tidings.Stores;
using Tidings.Transport;

namespace Tidings;

internal sealed class TransactionalSessionFactory(
    BusRuntime runtime, ITransactionalStore store, IOutboxStore outbox, OutboxDispatcher dispatcher) : ITransactionalSessionFactory
{
    public async Task<ITransactionalSession> BeginAsync(CancellationToken cancellationToken = default)
    {
        var transaction = await store.BeginAsync(cancellationToken).ConfigureAwait(false);
        return new TransactionalSession(runtime.SendPipeline, transaction, outbox, dispatcher);
    }
}

internal sealed class TransactionalSession(
    Pipeline<SendContext> sendPipeline, StoreTransaction transaction, IOutboxStore outbox, OutboxDispatcher dispatcher)
    : ITransactionalSession, IOutgoingDispatcher
{
    private readonly List<OutgoingMessage> _staged = [];
    private bool _committed;

    public DbConnection Connection => transaction.Connection;

    public DbTransaction Transaction => transaction.Transaction;

    public ValueTask PublishAsync<T>(T message, SendOptions? options = null, CancellationToken cancellationToken = default)
        where T : notnull =>
        sendPipeline.InvokeAsync(new SendContext(message, typeof(T), null, options, null, this, cancellationToken));

    public ValueTask SendAsync<T>(string destination, T message, SendOptions? options = null, CancellationToken cancellationToken = default)
        where T : notnull
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(destination);
        return sendPipeline.InvokeAsync(new SendContext(message, typeof(T), destination, options, null, this, cancellationToken));
    }

    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_committed, this);
        var entries = _staged.Count > 0 ? await outbox.AddAsync(transaction, _staged, cancellationToken).ConfigureAwait(false) : [];
        dispatcher.Claim(entries);
        try
        {
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            dispatcher.Unclaim(entries);
            throw;
        }

        _committed = true;
        dispatcher.DispatchCommitted(entries);
    }

    public ValueTask DisposeAsync() => transaction.DisposeAsync();

    ValueTask IOutgoingDispatcher.DispatchAsync(OutgoingMessage message, CancellationToken cancellationToken)
    {
        _staged.Add(message);
        return ValueTask.CompletedTask;
    }
}
