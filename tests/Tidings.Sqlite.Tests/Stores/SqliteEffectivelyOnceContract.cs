using Microsoft.Data.Sqlite;
using Tidings.Sqlite.Tests.Support;
using Tidings.Transport;
using Tidings.Transport.InMemory;
using Tidings.Transport.Contracts;

namespace Tidings.Sqlite.Tests.Stores;

/// <summary>The SQLite bus file and the service's own SQLite database, in a folder of the test's own.</summary>
public sealed class SqliteEffectivelyOnceFixture : IEffectivelyOnceFixture
{
    private readonly TempDirectory _directory = new();
    private readonly List<SqliteTransport> _connections = [];

    private SqliteTransportOptions Bus => new() { Path = _directory.File("bus.db"), PollInterval = TimeSpan.FromMilliseconds(50) };

    public (string Outbox, string Inbox, string Sagas) Tables => ("tidings_outbox", "tidings_inbox", "tidings_sagas");

    public ITransport Connect()
    {
        var transport = new SqliteTransport(Bus);
        _connections.Add(transport);
        return transport;
    }

    public void UseTransport(TidingsBuilder tidings) => tidings.UseSqlite(Bus);

    public void UseStore(TidingsBuilder tidings) => tidings.UseSqliteStore(_directory.File("service.db"));

    public Task<long> ScalarAsync(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={_directory.File("service.db")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Task.FromResult(command.ExecuteScalar() is { } value ? Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture) : 0);
    }

    public Task DeleteQueuesAsync(params string[] queues) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }

        _directory.Dispose();
    }
}

public sealed class SqliteEffectivelyOnceContract : EffectivelyOnceContract<SqliteEffectivelyOnceFixture>;

public sealed class SqliteSagaContract : SagaContract<SqliteEffectivelyOnceFixture>;

/// <summary>The in-memory transport, with the service's state in SQLite: what the in-memory bus promises sagas.</summary>
public sealed class InMemoryBusFixture : IEffectivelyOnceFixture
{
    private readonly InMemoryTransport _bus = new();
    private readonly SqliteEffectivelyOnceFixture _store = new();

    public (string Outbox, string Inbox, string Sagas) Tables => _store.Tables;

    public ITransport Connect() => _bus;

    public void UseTransport(TidingsBuilder tidings) => tidings.UseInMemoryTransport(_bus);

    public void UseStore(TidingsBuilder tidings) => _store.UseStore(tidings);

    public Task<long> ScalarAsync(string sql) => _store.ScalarAsync(sql);

    public Task DeleteQueuesAsync(params string[] queues) => Task.CompletedTask;

    public ValueTask DisposeAsync() => _store.DisposeAsync();
}

public sealed class InMemoryBusSagaContract : SagaContract<InMemoryBusFixture>;

public sealed class SqliteAcceptedRequestContract : AcceptedRequestContract<SqliteEffectivelyOnceFixture>;

public sealed class SqliteDeadLetterContract : DeadLetterContract<SqliteEffectivelyOnceFixture>;

public sealed class InMemoryBusDeadLetterContract : DeadLetterContract<InMemoryBusFixture>;
