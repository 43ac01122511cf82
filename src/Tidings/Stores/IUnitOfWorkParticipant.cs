using System.Data.Common;

namespace Tidings.Stores;

/// <summary>
/// Something that joins a unit of work of the service's database: an ORM's session, say. Registered scoped; in
/// effectively-once mode each handling attempt enlists the scope's participants in its transaction before the handlers
/// run, and completes them (flushes their changes) after the handlers succeed, before the outbox is written and the
/// transaction commits. A participant that must undo its enlistment whatever the outcome (a handler that threw never
/// reaches <see cref="CompleteAsync"/>) implements <see cref="IAsyncDisposable"/>: the scope disposes it after the unit of
/// work. <c>Tidings.EntityFrameworkCore</c> registers one for a <c>DbContext</c>.
/// </summary>
public interface IUnitOfWorkParticipant
{
    /// <summary>Joins <paramref name="transaction"/> on <paramref name="connection"/>: from now on, everything it writes goes there.</summary>
    ValueTask EnlistAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken = default);

    /// <summary>Writes what it holds, inside the transaction (it does not commit).</summary>
    ValueTask CompleteAsync(CancellationToken cancellationToken = default);
}
