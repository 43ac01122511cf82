using System.Data.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Tidings.Stores;

namespace Tidings.PostgreSql;

/// <summary>
/// The service's own PostgreSQL database as Tidings' store: units of work are transactions on pooled connections, and
/// Tidings' tables are created on first use unless <see cref="PostgreSqlStoreOptions.MigrateOnStart"/> is off.
/// Registered for the service's own use too: <see cref="DataSource"/> opens connections to the same database.
/// </summary>
public sealed class PostgreSqlStore : ITransactionalStore, IAsyncDisposable
{
    /// <summary>PostgreSQL's savepoint statements, prepared once per transaction.</summary>
    private static readonly StoreSavepoints Savepoints = StoreSavepoints.Statements(
        "SAVEPOINT tidings_message", "RELEASE SAVEPOINT tidings_message", "ROLLBACK TO SAVEPOINT tidings_message");

    private readonly SemaphoreSlim _migration = new(1, 1);
    private volatile bool _migrated;

    /// <summary>Creates the store; nothing is opened until first use.</summary>
    public PostgreSqlStore(PostgreSqlStoreOptions options, ILogger<PostgreSqlStore>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        QuotedSchema = PostgreSqlSchema.Quote(options.Schema);
        DataSource = CreateDataSource(options);
        _migrated = !options.MigrateOnStart;
        OutboxReleases = new OutboxReleaseListener(DataSource, options.Schema, (ILogger?)logger ?? NullLogger.Instance);
    }

    /// <summary>LISTEN/NOTIFY on this schema's outbox releases, shared by the store's relay.</summary>
    internal OutboxReleaseListener OutboxReleases { get; }

    /// <summary>The settings.</summary>
    public PostgreSqlStoreOptions Options { get; }

    /// <summary>Connections to the service's database (pooled).</summary>
    public NpgsqlDataSource DataSource { get; }

    internal string QuotedSchema { get; }

    private static NpgsqlDataSource CreateDataSource(PostgreSqlStoreOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxAutoPrepare);
        var builder = new NpgsqlDataSourceBuilder(options.ConnectionString);
        var given = new DbConnectionStringBuilder { ConnectionString = options.ConnectionString };
        if (!given.ContainsKey("Max Auto Prepare") && !given.ContainsKey("MaxAutoPrepare"))
        {
            builder.ConnectionStringBuilder.MaxAutoPrepare = options.MaxAutoPrepare;
        }

        return builder.Build();
    }

    /// <inheritdoc />
    public async ValueTask<StoreTransaction> BeginAsync(CancellationToken cancellationToken = default)
    {
        await EnsureMigratedAsync(cancellationToken).ConfigureAwait(false);
        var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            return new StoreTransaction(connection, transaction) { Savepoints = Savepoints };
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Opens a connection for work outside a unit of work (the relay, clean-up), the tables made sure of.</summary>
    internal async ValueTask<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        await EnsureMigratedAsync(cancellationToken).ConfigureAwait(false);
        return await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask EnsureMigratedAsync(CancellationToken cancellationToken)
    {
        if (_migrated)
        {
            return;
        }

        await _migration.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_migrated)
            {
                await PostgreSqlSchema.MigrateAsync(DataSource, Options.Schema, cancellationToken).ConfigureAwait(false);
                _migrated = true;
            }
        }
        finally
        {
            _migration.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await OutboxReleases.DisposeAsync().ConfigureAwait(false);
        await DataSource.DisposeAsync().ConfigureAwait(false);
        _migration.Dispose();
    }
}
