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
            await DbContextEnlistment.EnlistAsync(context, session.Connection, session.Transaction, cancellationToken).ConfigureAwait(false);
            return new DbContextUnitOfWork<TContext>(context, session);
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}

internal sealed class DbContextUnitOfWork<TContext>(TContext context, ITransactionalSession session) : IDbContextUnitOfWork<TContext>
    where TContext : DbContext
{
    public TContext Context => context;

    public ValueTask PublishAsync<T>(T message, SendOptions? options = null, CancellationToken cancellationToken = default)
        where T : notnull => session.PublishAsync(message, options, cancellationToken);

    public ValueTask SendAsync<T>(string destination, T message, SendOptions? options = null, CancellationToken cancellationToken = default)
        where T : notnull => session.SendAsync(destination, message, options, cancellationToken);

    public async Task SaveChangesAsync(CancellationToken cancellationToken = default)
    {
        await context.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await session.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await DbContextEnlistment.LeaveAsync(context).ConfigureAwait(false);
        }
        finally
        {
            await session.DisposeAsync().ConfigureAwait(false);
        }
    }
}
