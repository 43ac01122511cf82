using System.Data.Common;
using Tidings.Stores;

namespace Tidings;

/// <summary>
/// A transaction of the service's own database for code outside handlers (an HTTP endpoint, say): write business
/// data through <see cref="Transaction"/>, publish and send through the session, then <see cref="CommitAsync"/>.
/// The messages are stored in the outbox in the same transaction and leave once it commits; disposing without
/// committing rolls back both.
/// </summary>
public interface ITransactionalSession : IMessageSender, IAsyncDisposable
{
    /// <summary>The open connection.</summary>
    DbConnection Connection { get; }

    /// <summary>The transaction; use it on every command.</summary>
    DbTransaction Transaction { get; }

    /// <summary>The store's transaction, for store operations that commit with the session (an idempotency key's record, say).</summary>
    StoreTransaction StoreTransaction { get; }

    /// <summary>Stores the staged messages in the outbox and commits everything at once.</summary>
    Task CommitAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Schedules <paramref name="message"/> for <paramref name="destination"/> at <paramref name="dueAt"/> in this
    /// session's transaction (see <see cref="IMessageScheduler"/>): it exists if and only if the session commits.
    /// </summary>
    Task<Guid> ScheduleAsync<T>(string destination, T message, DateTimeOffset dueAt, SendOptions? options = null, CancellationToken cancellationToken = default)
        where T : notnull;

    /// <summary>Cancels a scheduled message in this session's transaction. False if it is gone already.</summary>
    Task<bool> CancelScheduledAsync(Guid scheduleId, CancellationToken cancellationToken = default);
}

/// <summary>Begins <see cref="ITransactionalSession"/>s. Registered when a store is configured.</summary>
public interface ITransactionalSessionFactory
{
    /// <summary>Opens a connection to the service's database and begins a transaction.</summary>
    Task<ITransactionalSession> BeginAsync(CancellationToken cancellationToken = default);
}
