using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace Tidings.EntityFrameworkCore;

/// <summary>
/// Points a DbContext at Tidings' open connection and transaction, so that SaveChanges writes into them, and points it
/// back at its own connection afterwards. Without the way back, a context that outlives the unit of work (one from
/// <c>AddDbContextPool</c>, which goes back to the pool; one used again in its scope) would hold Tidings' connection,
/// disposed by then.
/// </summary>
internal sealed class DbContextEnlistment
{
    private readonly DbContext _context;
    private readonly DbConnection? _configuredConnection;
    private readonly string? _connectionString;
    private readonly int? _commandTimeout;
    private readonly bool _autoSavepoints;
    private bool _left;

    private DbContextEnlistment(DbContext context, DbConnection? configuredConnection)
    {
        _context = context;
        var database = context.Database;
        _configuredConnection = configuredConnection;

        // As the context has it now: resolved from configuration, or set at run time (one database per tenant, say).
        _connectionString = database.GetConnectionString();
        _commandTimeout = database.GetCommandTimeout();
        _autoSavepoints = database.AutoSavepointsEnabled;
    }

    /// <summary>
    /// Enlists <paramref name="context"/>. With <paramref name="tidingsSavepoints"/>, Tidings keeps a savepoint per message
    /// itself, and EF's own around each SaveChanges (two more round trips) are turned off for the unit of work.
    /// </summary>
    public static async ValueTask<DbContextEnlistment> EnlistAsync(
        DbContext context, DbConnection connection, DbTransaction transaction, bool tidingsSavepoints, CancellationToken cancellationToken)
    {
        var database = context.Database;
        if (database.CurrentTransaction is not null)
        {
            throw new InvalidOperationException(
                $"{context.GetType().Name} already has a transaction of its own; Tidings cannot enlist it in the unit of work. Let Tidings begin the transaction.");
        }

        if (database.CreateExecutionStrategy().RetriesOnFailure)
        {
            throw new InvalidOperationException(
                $"{context.GetType().Name} is configured with a retrying execution strategy (EnableRetryOnFailure), which cannot run inside "
                + "a transaction begun by Tidings: a retry would repeat part of a unit of work. Tidings retries whole units of work itself "
                + "(the endpoint's Retries, and a batch whose database failed comes back). Configure this context without EnableRetryOnFailure.");
        }

        var relational = RelationalOptionsExtension.Extract(context.GetService<IDbContextOptions>());
        if (relational is { Connection: not null, IsConnectionOwned: true })
        {
            throw new InvalidOperationException(
                $"{context.GetType().Name} is configured with a connection it owns (contextOwnsConnection: true); pointing it at Tidings' "
                + "connection would dispose that connection. Configure the context with a connection string or a data source, or keep "
                + "ownership of the connection.");
        }

        var enlistment = new DbContextEnlistment(context, relational.Connection);
        try
        {
            if (tidingsSavepoints)
            {
                database.AutoSavepointsEnabled = false;
            }

            database.SetDbConnection(connection, contextOwnsConnection: false);
            database.SetCommandTimeout(enlistment._commandTimeout); // changing the connection resets it
            await database.UseTransactionAsync(transaction, cancellationToken).ConfigureAwait(false);
            return enlistment;
        }
        catch
        {
            await enlistment.LeaveAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Leaves the transaction (it is about to end) and gives the context back its own connection. Idempotent.</summary>
    public async ValueTask LeaveAsync()
    {
        if (_left)
        {
            return;
        }

        _left = true;
        var database = _context.Database;
        if (database.CurrentTransaction is IDbContextTransaction)
        {
            await database.UseTransactionAsync(null).ConfigureAwait(false);
        }

        database.AutoSavepointsEnabled = _autoSavepoints;
        if (_configuredConnection is not null)
        {
            database.SetDbConnection(_configuredConnection, contextOwnsConnection: false); // owned ones are refused
        }
        else
        {
            // The context makes its own connection again, from its provider's data source or its connection string. Setting
            // the string when a data source still supplies one would drop the data source (Npgsql), and with it the
            // password and the type mappings it was built with.
            database.SetDbConnection(null, contextOwnsConnection: true);
            if (database.GetConnectionString() is null && _connectionString is not null)
            {
                database.SetConnectionString(_connectionString);
            }
        }

        database.SetCommandTimeout(_commandTimeout);
    }
}
