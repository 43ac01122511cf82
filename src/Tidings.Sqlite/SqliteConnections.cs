using Microsoft.Data.Sqlite;

namespace Tidings.Sqlite;

/// <summary>Opens SQLite connections the way Tidings needs them: WAL, durable or normal commits, patient on locks.</summary>
internal static class SqliteConnections
{
    public static string ConnectionStringFor(string path) => new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Cache = SqliteCacheMode.Private,
        Pooling = true,
    }.ToString();

    /// <summary>Opens a connection with per-connection settings (commit durability, lock patience).</summary>
    public static SqliteConnection Open(string connectionString, bool durable, TimeSpan busyTimeout)
    {
        var connection = new SqliteConnection(connectionString) { DefaultTimeout = (int)Math.Ceiling(busyTimeout.TotalSeconds) };
        connection.Open();
        Execute(connection, $"PRAGMA synchronous={(durable ? "FULL" : "NORMAL")}; PRAGMA busy_timeout={(int)busyTimeout.TotalMilliseconds};");
        return connection;
    }

    /// <summary>
    /// Extended result codes on or off. On for a deferred transaction, so that SQLITE_BUSY_SNAPSHOT (its upgrade to a
    /// writer after another writer committed) is reported at once: as plain SQLITE_BUSY, Microsoft.Data.Sqlite would
    /// retry it for the whole command timeout, though it can never succeed within the transaction. Off again before the
    /// connection goes back to the pool, so that other code sees the primary codes it expects (19 for a constraint).
    /// </summary>
    public static void UseExtendedResultCodes(SqliteConnection connection, bool on) =>
        SQLitePCL.raw.sqlite3_extended_result_codes(connection.Handle, on ? 1 : 0);

    /// <summary>Puts the database file in WAL mode (a property of the file: once is enough).</summary>
    public static void UseWriteAheadLog(SqliteConnection connection) => Execute(connection, "PRAGMA journal_mode=WAL;");

    public static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// Brings tables made by an earlier version up to this one: runs each statement whose column is missing. Idempotent,
    /// and safe when several processes start at once (it runs inside the caller's write transaction).
    /// </summary>
    public static void AddMissingColumns(SqliteConnection connection, SqliteTransaction transaction, IEnumerable<ColumnUpgrade> upgrades)
    {
        foreach (var upgrade in upgrades)
        {
            using var probe = connection.CreateCommand();
            probe.Transaction = transaction;
            probe.CommandText = "SELECT COUNT(*) FROM pragma_table_info($table) WHERE name = $column";
            probe.Parameters.AddWithValue("$table", upgrade.Table);
            probe.Parameters.AddWithValue("$column", upgrade.Column);
            if (Convert.ToInt64(probe.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 0)
            {
                Execute(connection, $"ALTER TABLE {upgrade.Table} ADD COLUMN {upgrade.Column} {upgrade.Definition}", transaction);
                if (upgrade.Then is { } then)
                {
                    Execute(connection, then, transaction);
                }
            }
        }
    }

    public static void EnsureDirectory(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }
    }
}

/// <summary>
/// A column a later version added to a table: <c>ALTER TABLE {Table} ADD COLUMN {Column} {Definition}</c>, then
/// <see cref="Then"/> (what the new column means for the rows already there), in the same transaction.
/// </summary>
internal sealed record ColumnUpgrade(string Table, string Column, string Definition, string? Then = null);
