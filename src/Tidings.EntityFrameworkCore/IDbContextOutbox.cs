using Microsoft.EntityFrameworkCore;

namespace Tidings.EntityFrameworkCore;

/// <summary>
/// Begins units of work on the scope's <typeparamref name="TContext"/> for code outside handlers (an HTTP endpoint, say):
/// change entities, publish and send, then <see cref="IDbContextUnitOfWork{TContext}.SaveChangesAsync"/> saves both in
/// one transaction. Registered scoped by <c>UseEntityFrameworkCore&lt;TContext&gt;()</c>.
/// </summary>
/// <typeparam name="TContext">The service's DbContext, on the same database as Tidings' store.</typeparam>
public interface IDbContextOutbox<TContext>
    where TContext : DbContext
{
    /// <summary>Opens a transaction of the store and enlists the scope's <typeparamref name="TContext"/> in it.</summary>
    Task<IDbContextUnitOfWork<TContext>> BeginAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// A unit of work of entities and messages: what <see cref="Context"/> tracks and what is published or sent through this
/// object are saved together by <see cref="SaveChangesAsync"/>, and the messages leave once it commits. Disposing without
/// saving discards both.
/// </summary>
/// <typeparam name="TContext">The service's DbContext.</typeparam>
public interface IDbContextUnitOfWork<TContext> : IMessageSender, IAsyncDisposable
    where TContext : DbContext
{
    /// <summary>The context, enlisted in the unit of work's transaction.</summary>
    TContext Context { get; }

    /// <summary>Saves the context's changes and the staged messages in one transaction and commits it.</summary>
    Task SaveChangesAsync(CancellationToken cancellationToken = default);
}
