using System.Data.Common;

namespace Tidings.Stores;

/// <summary>
/// An open connection to the service's own database with a transaction on it. Disposing rolls back unless committed,
/// then runs <c>onDisposed</c> (a store releases its write gate there).
/// </summary>
public sealed class StoreTransaction(DbConnection connection, DbTransaction transaction, Action? onDisposed = null) : IAsyncDisposable
{
    private Dictionary<object, object>? _items;
    private Action? _onDisposed = onDisposed;

    /// <summary>The connection.</summary>
    public DbConnection Connection { get; } = connection;

    /// <summary>The transaction; every command of the unit of work must use it.</summary>
    public DbTransaction Transaction { get; } = transaction;

    /// <summary>Outbox messages added in this transaction, to be sent as soon as it commits.</summary>
    public List<OutboxEntry> Staged { get; } = [];

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

    /// <summary>
    /// Something a store keeps for the life of this transaction (a prepared command reused for every message of a
    /// batch, say); disposed with the transaction.
    /// </summary>
    public T GetOrAdd<T>(object key, Func<StoreTransaction, T> create)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(create);
        _items ??= [];
        if (!_items.TryGetValue(key, out var item))
        {
            _items[key] = item = create(this);
        }

        return (T)item;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_items is not null)
        {
            foreach (var item in _items.Values)
            {
                if (item is IAsyncDisposable asyncDisposable)
                {
                    await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                }
                else if (item is IDisposable disposable)
                {
                    disposable.Dispose();
                }
            }

            _items = null;
        }

        try
        {
            await Transaction.DisposeAsync().ConfigureAwait(false);
            await Connection.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Exchange(ref _onDisposed, null)?.Invoke();
        }
    }
}
