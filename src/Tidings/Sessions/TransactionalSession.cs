using Microsoft.Extensions.DependencyInjection;
using System.Data.Common;
using Tidings.Pipeline;
using Tidings.Stores;
using Tidings.Transport;

namespace Tidings;

internal sealed class TransactionalSessionFactory(
    BusRuntime runtime, ITransactionalStore store, OutboxDispatcher dispatcher, IServiceProvider services) : ITransactionalSessionFactory
{
    public async Task<ITransactionalSession> BeginAsync(CancellationToken cancellationToken = default)
    {
        var transaction = await store.BeginAsync(cancellationToken).ConfigureAwait(false);
        return new TransactionalSession(runtime.SendPipeline, transaction, dispatcher, () => (MessageScheduler)services.GetRequiredService<IMessageScheduler>());
    }
}

internal sealed class TransactionalSession(
    Pipeline<SendContext> sendPipeline, StoreTransaction transaction, OutboxDispatcher dispatcher, Func<MessageScheduler> scheduler)
    : ITransactionalSession, IOutgoingDispatcher
{
    private State _state;

    private enum State
    {
        Open,
        Committed,
        Failed,
        Disposed,
    }

    public DbConnection Connection => transaction.Connection;

    public DbTransaction Transaction => transaction.Transaction;

    public StoreTransaction StoreTransaction => transaction;

    public ValueTask PublishAsync<T>(T message, SendOptions? options = null, CancellationToken cancellationToken = default)
        where T : notnull
    {
        EnsureOpen("publish");
        return sendPipeline.InvokeAsync(new SendContext(message, typeof(T), null, options, null, this, cancellationToken));
    }

    public ValueTask SendAsync<T>(string destination, T message, SendOptions? options = null, CancellationToken cancellationToken = default)
        where T : notnull
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(destination);
        EnsureOpen("send");
        return sendPipeline.InvokeAsync(new SendContext(message, typeof(T), destination, options, null, this, cancellationToken));
    }

    public Task<Guid> ScheduleAsync<T>(string destination, T message, DateTimeOffset dueAt, SendOptions? options = null, CancellationToken cancellationToken = default)
        where T : notnull
    {
        EnsureOpen("schedule");
        return scheduler().ScheduleInAsync(transaction, destination, message, dueAt, options, cancellationToken);
    }

    public Task<bool> CancelScheduledAsync(Guid scheduleId, CancellationToken cancellationToken = default)
    {
        EnsureOpen("cancel a scheduled message");
        return scheduler().CancelInAsync(transaction, scheduleId, cancellationToken);
    }

    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        EnsureOpen("commit");
        _state = State.Failed; // until the commit succeeds: a failed commit cannot be retried, its transaction is gone
        await dispatcher.CommitAsync(transaction, cancellationToken).ConfigureAwait(false);
        _state = State.Committed;
    }

    public ValueTask DisposeAsync()
    {
        if (_state == State.Open)
        {
            _state = State.Disposed;
        }

        return transaction.DisposeAsync();
    }

    private void EnsureOpen(string action)
    {
        var problem = _state switch
        {
            State.Committed => "it has committed",
            State.Failed => "its commit failed (begin a new session to try again)",
            State.Disposed => "it was disposed",
            _ => null,
        };
        if (problem is not null)
        {
            throw new InvalidOperationException($"Cannot {action} in this transactional session: {problem}. Nothing was staged.");
        }
    }

    ValueTask IOutgoingDispatcher.DispatchAsync(OutgoingMessage message, CancellationToken cancellationToken)
    {
        transaction.Outgoing.Add(message);
        return ValueTask.CompletedTask;
    }
}
