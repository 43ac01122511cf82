using Microsoft.Data.Sqlite;
using Tidings.Stores;

namespace Tidings.Sqlite;

/// <summary>
/// The service's own SQLite database: opens connections with WAL and durable commits, creates the outbox and inbox
/// tables, and begins write transactions (<c>BEGIN IMMEDIATE</c>, so two writers never deadlock on lock upgrades).
/// </summary>
public sealed class SqliteStore : ITransactionalStore
{
    private readonly string _connectionString;

    /// <summary>Opens (creating if needed) the database and its Tidings tables.</summary>
    public SqliteStore(SqliteStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        SqliteConnections.EnsureDirectory(options.Path);
        _connectionString = SqliteConnections.ConnectionStringFor(options.Path);
        using var connection = Open();
        using var transaction = connection.BeginTransaction();
        SqliteConnections.Execute(connection, Stores.StoreSchema.Create, transaction);
        transaction.Commit();
    }

    /// <summary>The settings.</summary>
    public SqliteStoreOptions Options { get; }

    /// <summary>Opens a connection to the service's database with Tidings' settings.</summary>
    public SqliteConnection Open() => SqliteConnections.Open(_connectionString, Options.DurableCommits, Options.BusyTimeout);

    /// <inheritdoc />
    public ValueTask<StoreTransaction> BeginAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var connection = Open();
        try
        {
            var transaction = connection.BeginTransaction(deferred: false);
            return ValueTask.FromResult(new StoreTransaction(connection, transaction));
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }
}
