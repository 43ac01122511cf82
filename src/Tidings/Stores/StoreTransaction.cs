using System.Data.Common;

namespace Tidings.Stores;

/// <summary>An open connection to the service's own database with a transaction on it. Disposing rolls back unless committed.</summary>
public sealed class StoreTransaction(DbConnection connection, DbTransaction transaction) : IAsyncDisposable
{
    /// <summary>The connection.</summary>
    public DbConnection Connection { get; } = connection;

    /// <summary>The transaction; every command of the unit of work must use it.</summary>
    public DbTransaction Transaction { get; } = transaction;

    /// <summary>Commits.</summary>
    public Task CommitAsync(CancellationToken cancellationToken = default) => Transaction.CommitAsync(cancellationToken);

    /// <summary>Creates a command enlisted in the transaction.</summary>
    public DbCommand CreateCommand(string sql)
    {
        var command = Connection.CreateCommand();
        command.Transaction = Transaction;
        command.CommandText = sql;
        return command;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Transaction.DisposeAsync().ConfigureAwait(false);
        await Connection.DisposeAsync().ConfigureAwait(false);
    }
}
