using Npgsql;
using Tidings.Transport.Contracts;

namespace Tidings.Cli.Tests.Support;

/// <summary>
/// The local RabbitMQ and PostgreSQL (which test.sh installs and starts), each test in a virtual host and a database of
/// its own, removed after: the worker processes use fixed queue names.
/// </summary>
public sealed class Servers : IAsyncDisposable
{
    private static readonly string Admin =
        Environment.GetEnvironmentVariable("TIDINGS_POSTGRES") ?? "Host=127.0.0.1;Username=tidings;Password=tidings;Database=postgres";

    private readonly string _virtualHost;
    private readonly string _database;

    private Servers(string virtualHost, Uri rabbitMq, string database)
    {
        _virtualHost = virtualHost;
        _database = database;
        RabbitMq = rabbitMq;
        Postgres = new NpgsqlConnectionStringBuilder(Admin) { Database = database }.ConnectionString;
    }

    public Uri RabbitMq { get; }

    public string Postgres { get; }

    public static async Task<Servers> StartAsync()
    {
        var (name, uri) = await RabbitMqCtl.AddVirtualHostAsync();
        var database = "tidings_cli_" + Guid.NewGuid().ToString("N")[..8];
        await using var connection = new NpgsqlConnection(Admin);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", connection);
        await create.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        return new Servers(name, uri, database);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(Admin);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
        await RabbitMqCtl.RunAsync("delete_vhost", _virtualHost);
    }
}
