using Tidings.Sqlite.Tests.Support;
using Tidings.Transport;
using Tidings.Transport.Contracts;

namespace Tidings.Sqlite.Tests.Transport;

/// <summary>A fresh bus file per test; each connection is its own transport instance, as another process would have.</summary>
public sealed class SqliteTransportFixture : ITransportFixture
{
    private readonly TempDirectory _directory = new();
    private readonly List<SqliteTransport> _connections = [];

    public ITransport Connect()
    {
        var transport = new SqliteTransport(new SqliteTransportOptions { Path = _directory.File("bus.db"), PollInterval = TimeSpan.FromMilliseconds(50) });
        _connections.Add(transport);
        return transport;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }

        _directory.Dispose();
    }
}

public sealed class SqliteTransportContract : TransportContract<SqliteTransportFixture>;

/// <summary>Rows a foreign tool wrote into the bus file: an id that is no GUID, headers that are JSON but no map of strings.</summary>
public sealed class SqliteUnreadableFixture : IUnreadableMessageFixture
{
    private readonly TempDirectory _directory = new();
    private readonly List<SqliteTransport> _connections = [];

    private SqliteTransportOptions Options => new() { Path = _directory.File("bus.db"), PollInterval = TimeSpan.FromMilliseconds(50) };

    public ITransport Connect()
    {
        var transport = new SqliteTransport(Options);
        _connections.Add(transport);
        return transport;
    }

    public void UseTransport(TidingsBuilder builder) => builder.UseSqlite(Options);

    public Task<IReadOnlyList<string>> WriteUnreadableAsync(string queue, CancellationToken cancellationToken)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Options.Path};Pooling=False");
        connection.Open();
        using var insert = connection.CreateCommand();
        insert.CommandText = """
            INSERT INTO messages (queue, visible_at, message_id, name, sent_at, content_type, headers, body)
            VALUES ($queue, 0, $id, 'contract.parcel', 0, 'application/json', $headers, $body)
            """;
        var rows = new[]
        {
            ("not-a-guid", "{}", "{\"label\":\"bad id\"}"),
            (Guid.NewGuid().ToString(), "{\"n\":1}", "{\"label\":\"bad headers\"}"),
        };
        foreach (var (id, headers, body) in rows)
        {
            insert.Parameters.Clear();
            insert.Parameters.AddWithValue("$queue", queue);
            insert.Parameters.AddWithValue("$id", id);
            insert.Parameters.AddWithValue("$headers", headers);
            insert.Parameters.AddWithValue("$body", System.Text.Encoding.UTF8.GetBytes(body));
            insert.ExecuteNonQuery();
        }

        return Task.FromResult<IReadOnlyList<string>>(rows.Select(r => r.Item3).ToList());
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }

        _directory.Dispose();
    }
}

public sealed class SqliteUnreadableMessageContract : UnreadableMessageContract<SqliteUnreadableFixture>;
