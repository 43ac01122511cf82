using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Tidings.EntityFrameworkCore;

/// <summary>Points a DbContext at Tidings' open connection and transaction, so that SaveChanges writes into them.</summary>
internal static class DbContextEnlistment
{
    public static async ValueTask EnlistAsync(DbContext context, DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        var database = context.Database;
        if (database.CurrentTransaction is not null)
        {
            throw new InvalidOperationException(
                $"{context.GetType().Name} already has a transaction of its own; Tidings cannot enlist it in the unit of work. Let Tidings begin the transaction.");
        }

        // Tidings keeps its own savepoints per message; EF's automatic ones around SaveChanges would cost two more round trips.
        database.AutoSavepointsEnabled = false;
        database.SetDbConnection(connection, contextOwnsConnection: false);
        await database.UseTransactionAsync(transaction, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Leaves the transaction (it is about to end) so the context does not hold on to it.</summary>
    public static async ValueTask LeaveAsync(DbContext context)
    {
        if (context.Database.CurrentTransaction is IDbContextTransaction)
        {
            await context.Database.UseTransactionAsync(null).ConfigureAwait(false);
        }
    }
}
