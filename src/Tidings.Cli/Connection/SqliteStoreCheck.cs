using Microsoft.Data.Sqlite;

namespace Tidings.Cli.Connection;

/// <summary>
/// Looks at a service's SQLite database read-only before the store opens it, because the store makes or upgrades its
/// tables when it opens a file: the tool refuses a file that is not a Tidings store of this version rather than change it.
/// </summary>
public static class SqliteStoreCheck
{
    private static readonly string[] Tables = ["tidings_outbox", "tidings_inbox", "tidings_sagas", "tidings_schedules", "tidings_dead_letters"];
    private static readonly string[] OutboxColumns = ["attempts", "last_error", "retry_at"];

    /// <summary>Throws a <see cref="ToolException"/> (unreachable) unless <paramref name="path"/> holds Tidings' tables as this version makes them.</summary>
    public static void Check(string path)
    {
        try
        {
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            connection.Open();
            var missing = Tables.Where(t => !Exists(connection, $"SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '{t}'")).ToList();
            if (missing.Count == Tables.Length)
            {
                throw new ToolException(ExitCodes.Unreachable, $"The database {path} has no Tidings tables: is it the service's own database? (a service makes them when it first starts)");
            }

            if (missing.Count > 0 || OutboxColumns.Any(c => !Exists(connection, $"SELECT 1 FROM pragma_table_info('tidings_outbox') WHERE name = '{c}'")))
            {
                throw new ToolException(ExitCodes.Unreachable,
                    $"The database {path} holds the tables of an earlier Tidings version: start the service on this Tidings version once, which brings them up to date.");
            }
        }
        catch (SqliteException ex)
        {
            throw new ToolException(ExitCodes.Unreachable, $"Cannot read the database {path}: {ex.Message}", ex);
        }
    }

    private static bool Exists(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar() is not null;
    }
}
