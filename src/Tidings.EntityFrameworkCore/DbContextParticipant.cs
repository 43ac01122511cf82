using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Tidings.Stores;

namespace Tidings.EntityFrameworkCore;

/// <summary>
/// The scope's <typeparamref name="TContext"/> in an effectively-once handler's unit of work: it joins the batch's
/// transaction before the handlers run, and its pending changes are saved after they succeed (a handler need not call
/// SaveChanges itself), before the outbox is written and the transaction commits.
/// </summary>
internal sealed class DbContextParticipant<TContext>(TContext context) : IUnitOfWorkParticipant
    where TContext : DbContext
{
    public ValueTask EnlistAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken = default) =>
        DbContextEnlistment.EnlistAsync(context, connection, transaction, cancellationToken);

    public async ValueTask CompleteAsync(CancellationToken cancellationToken = default)
    {
        if (context.ChangeTracker.HasChanges())
        {
            await context.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }

        await DbContextEnlistment.LeaveAsync(context).ConfigureAwait(false);
    }
}
