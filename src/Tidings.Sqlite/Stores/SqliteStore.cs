using Microsoft.Data.Sqlite;
using Tidings.Stores;

namespace Tidings.Sqlite;

/// <summary>
/// The service's own SQLite database: opens connections with WAL and durable commits, creates the outbox and inbox
/// tables, and begins transactions: write transactions for sessions (<c>BEGIN IMMEDIATE</c>, so they never meet a
/// conflict), deferred ones for effectively-once batches (<see cref="BeginOptimisticAsync"/>).
/// </summary>
/// <remarks>
/// SQLite has one writer at a time. Writers of this process (endpoint batches at their commit, the relay, sessions)
/// queue at an async gate instead of meeting SQLite's busy handler, which sleeps in growing steps (up to 100 ms) and
/// wastes the wait. Other processes still meet the busy handler.
/// </remarks>
public sealed class SqliteStore : ITransactionalStore, IDisposable
{
    /// <summary>SQLite's savepoint statements, prepared once per transaction.</summary>
    private static readonly StoreSavepoints Savepoints = StoreSavepoints.Statements(
        "SAVEPOINT tidings_message", "RELEASE SAVEPOINT tidings_message", "ROLLBACK TO SAVEPOINT tidings_message");

    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly Lock _creating = new();
    private volatile bool _created;

    /// <summary>
    /// The database at <see cref="SqliteStoreOptions.Path"/>. The file and Tidings' tables are created on first use, or
    /// at the host's start (<see cref="EnsureCreated"/>), where a failure (a full disk) is one clear error.
    /// </summary>
    public SqliteStore(SqliteStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        _connectionString = SqliteConnections.ConnectionStringFor(options.Path);
    }

    /// <summary>The settings.</summary>
    public SqliteStoreOptions Options { get; }

    /// <summary>Opens a connection to the service's database with Tidings' settings (creating the database first if need be).</summary>
    public SqliteConnection Open()
    {
        EnsureCreated();
        return OpenConnection();
    }

    /// <summary>
    /// Creates the database file, its folder and Tidings' tables, or brings tables of an earlier version up to date.
    /// Runs once; a failure is an <see cref="InvalidOperationException"/> that says what and why, and the next call tries again.
    /// </summary>
    public void EnsureCreated()
    {
        if (_created)
        {
            return;
        }

        lock (_creating)
        {
            if (_created)
            {
                return;
            }

            try
            {
                SqliteConnections.EnsureDirectory(Options.Path);
                using var connection = OpenConnection();
                SqliteConnections.UseWriteAheadLog(connection);
                using var transaction = connection.BeginTransaction();
                SqliteConnections.Execute(connection, Stores.StoreSchema.Create, transaction);
                SqliteConnections.AddMissingColumns(connection, transaction, Stores.StoreSchema.Upgrades);
                SqliteConnections.Execute(connection, Stores.StoreSchema.IndexesOnUpgradedColumns, transaction);
                transaction.Commit();
            }
            catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException)
            {
                throw SqliteStartupError.For("the service's database", Options.Path, ex);
            }

            _created = true;
        }
    }

    private SqliteConnection OpenConnection() => SqliteConnections.Open(_connectionString, Options.DurableCommits, Options.BusyTimeout);

    /// <inheritdoc />
    public async ValueTask<StoreTransaction> BeginAsync(CancellationToken cancellationToken = default)
    {
        if (StoreTransaction.Current?.Connection is SqliteConnection ambient && ambient.ConnectionString == _connectionString)
        {
            throw new InvalidOperationException(
                $"A transaction of {Options.Path} was begun inside an effectively-once handler, whose batch has a transaction of " +
                "its own: it would commit apart from the handler's work, or wait for it. Write through context.Transaction instead.");
        }

        await EnterGateAsync(cancellationToken).ConfigureAwait(false);
        SqliteConnection? connection = null;
        try
        {
            connection = Open();
            var transaction = connection.BeginTransaction(deferred: false);
            return new StoreTransaction(connection, transaction, () => _writeGate.Release()) { Savepoints = Savepoints };
        }
        catch
        {
            connection?.Dispose();
            _writeGate.Release();
            throw;
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// A deferred transaction (<c>BEGIN</c>): it takes SQLite's write lock at its first write, so handlers run side by side
    /// until then, in this process and in others sharing the file. Before the batch writes what it staged it takes its
    /// turn at this process's gate, unless a handler's write already holds SQLite's lock. A transaction that read before
    /// another writer committed cannot write any more (<c>SQLITE_BUSY_SNAPSHOT</c>, reported at once): the batch starts
    /// over in a transaction from <see cref="BeginAsync"/>.
    /// </remarks>
    public ValueTask<StoreTransaction> BeginOptimisticAsync(CancellationToken cancellationToken = default)
    {
        var connection = Open();
        try
        {
            var transaction = connection.BeginTransaction(deferred: true);
            SqliteConnections.UseExtendedResultCodes(connection, on: true);
            var turn = new WriteTurn(this, connection);
            return ValueTask.FromResult(new StoreTransaction(connection, transaction, turn.TakeAsync, () =>
            {
                try
                {
                    SqliteConnections.UseExtendedResultCodes(connection, on: false);
                }
                finally
                {
                    turn.Release();
                }
            }) { Savepoints = Savepoints });
        }
        catch
        {
            SqliteConnections.UseExtendedResultCodes(connection, on: false);
            connection.Dispose();
            throw;
        }
    }

    /// <summary>A deferred transaction's turn at the gate, taken once, before its commit-time writes.</summary>
    private sealed class WriteTurn(SqliteStore store, SqliteConnection connection)
    {
        private int _held;

        public async ValueTask TakeAsync(CancellationToken cancellationToken)
        {
            // Holding SQLite's lock already, it must not queue behind a writer that waits for that very lock.
            if (SqliteNative.HoldsWriteLock(connection))
            {
                return;
            }

            await store.EnterGateAsync(cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _held, 1);
        }

        public void Release()
        {
            if (Interlocked.Exchange(ref _held, 0) == 1)
            {
                store._writeGate.Release();
            }
        }
    }

    /// <summary>Runs a write of Tidings' own (outbox clean-up, inbox purge) behind the same gate as the transactions.</summary>
    internal async Task<T> WriteAsync<T>(Func<SqliteConnection, T> write, CancellationToken cancellationToken)
    {
        await EnterGateAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var connection = Open();
            return write(connection);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Closes the pooled connections to the database, so that its files can be moved or their disk unmounted.</summary>
    public void Dispose()
    {
        using (var connection = new SqliteConnection(_connectionString))
        {
            SqliteConnection.ClearPool(connection);
        }

        _writeGate.Dispose();
    }

    private async Task EnterGateAsync(CancellationToken cancellationToken)
    {
        if (!await _writeGate.WaitAsync(Options.BusyTimeout, cancellationToken).ConfigureAwait(false))
        {
            throw new TimeoutException(
                $"Waited {Options.BusyTimeout} to write to {Options.Path}: another transaction of this process holds it. " +
                "A transaction opened inside another one never gets its turn: inside an effectively-once handler, write " +
                "through context.Transaction instead of beginning a session; commit or dispose every session you begin.");
        }
    }
}
