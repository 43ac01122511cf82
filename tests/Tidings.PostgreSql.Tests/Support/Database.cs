using Npgsql;
using Tidings.Transport.Contracts;
using Tidings.PostgreSql.Tests.Support;

[assembly: AssemblyFixture(typeof(Database))]

namespace Tidings.PostgreSql.Tests.Support;

/// <summary>
/// The PostgreSQL these tests run against: the local server (which test.sh installs and starts, with a role
/// <c>tidings</c>), in a database of this run's own, dropped at the end. Each fixture takes a schema of its own in it.
/// TIDINGS_POSTGRES points the tests at another server (a connection string for a role that may create databases).
/// </summary>
public sealed class Database : IAsyncLifetime
{
    private static readonly string Admin =
        Environment.GetEnvironmentVariable("TIDINGS_POSTGRES") ?? "Host=127.0.0.1;Username=tidings;Password=tidings;Database=postgres";

    private static readonly string Name = "tidings_tests_" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>A connection string to this run's database.</summary>
    public static string ConnectionString { get; } = new NpgsqlConnectionStringBuilder(Admin) { Database = Name, Pooling = true }.ConnectionString;

    public async ValueTask InitializeAsync()
    {
        await using var connection = new NpgsqlConnection(Admin);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {Name}", connection);
        await create.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(Admin);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }

    /// <summary>An open connection to this run's database.</summary>
    public static async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        return connection;
    }

    /// <summary>Waits until the backend <paramref name="processId"/> waits for a lock another backend holds: a signal, not a guess.</summary>
    public static async Task WaitUntilBlockedAsync(int processId)
    {
        await using var connection = await OpenAsync();
        await using var blocked = new NpgsqlCommand("SELECT cardinality(pg_blocking_pids($1)) > 0", connection)
        {
            Parameters = { new NpgsqlParameter<int> { TypedValue = processId } },
        };
        await Effects.WaitForAsync(async () => (bool)(await blocked.ExecuteScalarAsync(TestContext.Current.CancellationToken))!,
            TimeSpan.FromSeconds(30), () => $"backend {processId} never waited for a lock");
    }

    /// <summary>A schema name no other test uses.</summary>
    public static string NewSchema() => "t_" + Guid.NewGuid().ToString("N")[..12];

    public static PostgreSqlStoreOptions Options(string schema, TimeSpan? claim = null) => new()
    {
        ConnectionString = ConnectionString,
        Schema = schema,
        ClaimDuration = claim ?? TimeSpan.Zero,
    };
}
