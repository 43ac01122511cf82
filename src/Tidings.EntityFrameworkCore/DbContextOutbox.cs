using Microsoft.EntityFrameworkCore;

namespace Tidings.EntityFrameworkCore;

internal sealed class DbContextOutbox<TContext>(TContext context, ITransactionalSessionFactory sessions) : IDbContextOutbox<TContext>
    where TContext : DbContext
{
    public async Task<IDbContextUnitOfWork<TContext>> BeginAsync(CancellationToken cancellationToken = default)
    {
        var session = await sessions.BeginAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // EF's savepoints stay on: a caller that catches a failed SaveChanges can go on with the transaction.
            var enlistment = await DbContextEnlistment.EnlistAsync(context, session.Connection, session.Transaction, tidingsSavepoints: false, cancellationToken)
                .ConfigureAwait(false);
            return new DbContextUnitOfWork<TContext>(context, session, enlistment);
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}

internal sealed class DbContextUnitOfWork<TContext>(TContext context, ITransactionalSession session, DbContextEnlistment enlistment) : IDbContextUnitOfWork<TContext>
    where TContext : DbContext
{
    public TContext Context => context;

    public ValueTask PublishAsync<T>(T message, SendOptions? options = null, CancellationToken cancellationToken = default)
        where T : notnull => session.PublishAsync(message, options, cancellationToken);

    public ValueTask SendAsync<T>(string destination, T message, SendOptions? options = null, CancellationToken cancellationToken = default)
        where T : notnull => session.SendAsync(destination, message, options, cancellationToken);

    public async Task SaveChangesAsync(CancellationToken cancellationToken = default)
    {
        // The tracked entities become unchanged only once the transaction has committed: if the commit fails, the
        // context still holds the changes, and saving again writes them again.
        await context.SaveChangesAsync(acceptAllChangesOnSuccess: false, cancellationToken).ConfigureAwait(false);
        await session.CommitAsync(cancellationToken).ConfigureAwait(false);
        context.ChangeTracker.AcceptAllChanges();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await enlistment.LeaveAsync().ConfigureAwait(false);
        }
        finally
        {
            await session.DisposeAsync().ConfigureAwait(false);
        }
    }
}
