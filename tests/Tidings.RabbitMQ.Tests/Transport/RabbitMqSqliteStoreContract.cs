using Microsoft.Data.Sqlite;
using Tidings.RabbitMQ.Tests.Support;
using Tidings.Sqlite;
using Tidings.Transport;
using Tidings.Transport.Contracts;

namespace Tidings.RabbitMQ.Tests.Transport;

/// <summary>A real RabbitMQ (this run's virtual host) and the service's own SQLite database in a folder of the test's own.</summary>
public sealed class RabbitMqSqliteStoreFixture : IEffectivelyOnceFixture
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "tidings-tests", Guid.NewGuid().ToString("N"));
    private readonly List<RabbitMqTransport> _connections = [];

    public RabbitMqSqliteStoreFixture() => Directory.CreateDirectory(_directory);

    private string Database => Path.Combine(_directory, "service.db");

    public (string Outbox, string Inbox, string Sagas) Tables => ("tidings_outbox", "tidings_inbox", "tidings_sagas");

    public ITransport Connect()
    {
        var transport = new RabbitMqTransport(Broker.Options());
        _connections.Add(transport);
        return transport;
    }

    public void UseTransport(TidingsBuilder tidings) => tidings.UseRabbitMq(Broker.Options());

    public void UseStore(TidingsBuilder tidings) => tidings.UseSqliteStore(Database);

    public Task<long> ScalarAsync(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={Database};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Task.FromResult(command.ExecuteScalar() is { } value ? Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture) : 0);
    }

    /// <summary>Nothing to do: the virtual host is this run's own, deleted at its end.</summary>
    public Task DeleteQueuesAsync(params string[] queues) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A connection closing may hold the file a moment longer; the temp cleaner takes the rest.
        }
    }
}

/// <summary>RabbitMQ's dead letters moved into a SQLite store: listed, grouped, replayed and purged as in PostgreSQL.</summary>
public sealed class RabbitMqSqliteStoreDeadLetterContract : DeadLetterContract<RabbitMqSqliteStoreFixture>;
