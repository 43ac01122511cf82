using System.Data.Common;
using Tidings.Transport;

namespace Tidings.Stores;

/// <summary>
/// An open connection to the service's own database with a transaction on it. Disposing rolls back unless committed.
/// <c>onFinished</c> runs once, when the transaction commits or is disposed, whichever comes first, while the connection
/// is still open (a store releases its write gate there, or puts the connection back as it found it).
/// </summary>
public sealed class StoreTransaction(DbConnection connection, DbTransaction transaction, Action? onFinished = null) : IAsyncDisposable
{
    private Dictionary<object, object>? _items;
    private Action? _onFinished = onFinished;
    private Func<CancellationToken, ValueTask>? _prepareToWrite;

    /// <summary>
    /// A transaction whose store defers its write lock to the first write (see
    /// <see cref="ITransactionalStore.BeginOptimisticAsync"/>); <paramref name="prepareToWrite"/> runs once, before the
    /// unit of work writes what it staged (inbox ids, outbox messages) and commits: a store takes its turn to write there.
    /// </summary>
    public StoreTransaction(DbConnection connection, DbTransaction transaction, Func<CancellationToken, ValueTask> prepareToWrite, Action? onFinished)
        : this(connection, transaction, onFinished)
    {
        _prepareToWrite = prepareToWrite;
        DefersWriteLock = true;
    }

    private static readonly AsyncLocal<StoreTransaction?> Ambient = new();

    /// <summary>
    /// The transaction of the effectively-once batch whose handlers run on this flow, while it is open; null elsewhere.
    /// A store refuses to begin a second transaction of its database inside it (it would wait for the first, or commit
    /// beside it).
    /// </summary>
    public static StoreTransaction? Current => Ambient.Value is { IsFinished: false } current ? current : null;

    /// <summary>Makes <paramref name="transaction"/> the <see cref="Current"/> one for the rest of the caller's flow.</summary>
    internal static void SetCurrent(StoreTransaction transaction) => Ambient.Value = transaction;

    /// <summary>True once the transaction committed or was disposed.</summary>
    public bool IsFinished => Volatile.Read(ref _finished);

    private bool _finished;

    /// <summary>True when the store takes its write lock only at the first write, not at the start.</summary>
    public bool DefersWriteLock { get; }

    /// <summary>Called before the unit of work writes what it staged and commits (once; later calls do nothing).</summary>
    public ValueTask PrepareToWriteAsync(CancellationToken cancellationToken = default) =>
        Interlocked.Exchange(ref _prepareToWrite, null)?.Invoke(cancellationToken) ?? ValueTask.CompletedTask;

    /// <summary>How this database marks, releases and rolls back to a savepoint; set by the store (default: the provider's).</summary>
    public StoreSavepoints Savepoints { get; init; } = StoreSavepoints.Provider;

    /// <summary>The connection.</summary>
    public DbConnection Connection { get; } = connection;

    /// <summary>The transaction; every command of the unit of work must use it.</summary>
    public DbTransaction Transaction { get; } = transaction;

    /// <summary>
    /// Messages staged in this unit of work, in order. They are written to the outbox together just before the commit:
    /// one statement for the whole batch rather than one per handler.
    /// </summary>
    internal List<OutgoingMessage> Outgoing { get; } = [];

    /// <summary>The ids an optimistic batch handles, recorded in the inbox together just before the commit.</summary>
    internal InboxBatch? Inbox { get; set; }

    /// <summary>The saga instances an optimistic batch read together, and its writes of them, made together just before the commit.</summary>
    internal SagaSession? Sagas { get; set; }

    /// <summary>Commits: first what stores deferred to the commit (<see cref="OnCommitting"/>), then the transaction.</summary>
    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _committing, null) is { } committing)
        {
            foreach (var write in committing)
            {
                await write(cancellationToken).ConfigureAwait(false);
            }
        }

        await Transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        Finish();
        if (Interlocked.Exchange(ref _committed, null) is { } committed)
        {
            foreach (var action in committed)
            {
                action();
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="write"/> inside the transaction just before it commits, after the unit of work wrote what it
    /// staged: a store that defers a write so that it rides along with another (in one round trip) makes it here if
    /// nothing took it. If it throws, the transaction does not commit.
    /// </summary>
    public void OnCommitting(Func<CancellationToken, Task> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        (_committing ??= []).Add(write);
    }

    private List<Func<CancellationToken, Task>>? _committing;

    /// <summary>Runs <paramref name="action"/> once the transaction has committed (a wake-up of a relay, say); never if it rolls back.</summary>
    internal void OnCommitted(Action action) => (_committed ??= []).Add(action);

    private List<Action>? _committed;

    /// <summary>Creates a command enlisted in the transaction.</summary>
    public DbCommand CreateCommand(string sql)
    {
        var command = Connection.CreateCommand();
        command.Transaction = Transaction;
        command.CommandText = sql;
        return command;
    }

    /// <summary>Something <see cref="GetOrAdd"/> keeps under <paramref name="key"/>, if anything was added.</summary>
    public T? Find<T>(object key)
        where T : class =>
        _items is not null && _items.TryGetValue(key, out var item) ? (T)item : null;

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

    private void Finish()
    {
        Volatile.Write(ref _finished, true);
        Interlocked.Exchange(ref _onFinished, null)?.Invoke();
    }

    /// <inheritdoc />
    /// <remarks>Rolls back unless committed, runs <c>onFinished</c> (the connection still open), then closes the connection.</remarks>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await DisposeItemsAsync().ConfigureAwait(false);
        }
        finally
        {
            try
            {
                await Transaction.DisposeAsync().ConfigureAwait(false);
            }
            finally
            {
                try
                {
                    Finish();
                }
                finally
                {
                    await Connection.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }

    private async ValueTask DisposeItemsAsync()
    {
        if (_items is null)
        {
            return;
        }

        var items = _items.Values.ToList();
        _items = null;
        foreach (var item in items)
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
    }
}
