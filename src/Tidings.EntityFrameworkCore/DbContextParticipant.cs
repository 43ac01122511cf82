using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Tidings.Stores;

namespace Tidings.EntityFrameworkCore;

/// <summary>
/// The scope's <typeparamref name="TContext"/> in an effectively-once handler's unit of work: it joins the batch's
/// transaction before the handlers run, and its pending changes are saved after they succeed (a handler need not call
/// SaveChanges itself), before the outbox is written and the transaction commits. Disposed with the scope, it gives the
/// context back its own connection whether the handlers succeeded or not.
/// </summary>
internal sealed class DbContextParticipant<TContext>(TContext context) : IUnitOfWorkParticipant, IAsyncDisposable
    where TContext : DbContext
{
    private DbContextEnlistment? _enlistment;

    public async ValueTask EnlistAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken = default) =>
        _enlistment = await DbContextEnlistment.EnlistAsync(context, connection, transaction, tidingsSavepoints: true, cancellationToken).ConfigureAwait(false);

    public async ValueTask CompleteAsync(CancellationToken cancellationToken = default)
    {
        if (context.ChangeTracker.HasChanges())
        {
            await context.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }

        await DisposeAsync().ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _enlistment?.LeaveAsync() ?? ValueTask.CompletedTask;
}
