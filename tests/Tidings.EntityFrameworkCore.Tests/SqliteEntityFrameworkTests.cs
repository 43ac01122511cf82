using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Tidings.Sqlite;

namespace Tidings.EntityFrameworkCore.Tests;

/// <summary>The DbContext and Tidings' store in one SQLite file.</summary>
public sealed class SqliteEntityFrameworkTests : EntityFrameworkContract
{
    private string DatabasePath => Path.Combine(DirectoryPath, "service.db");

    protected override void UseStore(TidingsBuilder tidings) => tidings.UseSqliteStore(DatabasePath);

    protected override void UseDatabase(DbContextOptionsBuilder options) => options.UseSqlite($"Data Source={DatabasePath}");

    protected override async Task CreateTablesAsync(DbConnection connection)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "CREATE TABLE payments (id INTEGER PRIMARY KEY AUTOINCREMENT, order_id INTEGER NOT NULL, cents INTEGER NOT NULL)";
        await command.ExecuteNonQueryAsync(Ct);
    }

    protected override async Task<DbConnection> OpenAsync()
    {
        var connection = new SqliteConnection($"Data Source={DatabasePath}");
        await connection.OpenAsync(Ct);
        return connection;
    }
}
