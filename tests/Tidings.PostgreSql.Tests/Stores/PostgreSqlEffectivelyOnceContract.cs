using Npgsql;
using Tidings.PostgreSql.Tests.Support;
using Tidings.RabbitMQ;
using Tidings.Transport;
using Tidings.Transport.Contracts;

namespace Tidings.PostgreSql.Tests.Stores;

/// <summary>A real RabbitMQ and a schema of the test's own in a real PostgreSQL (the handler's table in it too).</summary>
public sealed class PostgreSqlEffectivelyOnceFixture : IEffectivelyOnceFixture
{
    private readonly string _schema = Database.NewSchema();
    private readonly List<RabbitMqTransport> _connections = [];
    private bool _schemaCreated;

    private static RabbitMqTransportOptions RabbitMq => new() { ConnectionString = Broker.Uri };

    private string ConnectionString => new NpgsqlConnectionStringBuilder(Database.ConnectionString) { SearchPath = _schema }.ConnectionString;

    public (string Outbox, string Inbox, string Sagas) Tables => ($"{_schema}.outbox", $"{_schema}.inbox", $"{_schema}.sagas");

    public ITransport Connect()
    {
        var transport = new RabbitMqTransport(RabbitMq);
        _connections.Add(transport);
        return transport;
    }

    public void UseTransport(TidingsBuilder tidings) => tidings.UseRabbitMq(RabbitMq);

    public void UseStore(TidingsBuilder tidings) =>
        tidings.UsePostgreSqlStore(Database.Options(_schema, TimeSpan.FromSeconds(30)) with { ConnectionString = ConnectionString });

    public async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        if (!_schemaCreated)
        {
            await using var create = new NpgsqlCommand($"CREATE SCHEMA IF NOT EXISTS {_schema}", connection);
            await create.ExecuteNonQueryAsync();
            _schemaCreated = true;
        }

        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync() is { } value and not DBNull ? Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    public Task DeleteQueuesAsync(params string[] queues) => Broker.DeleteQueuesAsync(queues);

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }
    }
}

/// <summary>
/// The test classes whose handlers publish the contract's events (contract.order-charged, contract.receipt-issued): on
/// one broker every queue subscribed to them gets a copy, so they take turns rather than read each other's events.
/// </summary>
[CollectionDefinition(nameof(ContractEvents))]
public sealed class ContractEvents;

[Collection(nameof(ContractEvents))]
public sealed class PostgreSqlEffectivelyOnceContract : EffectivelyOnceContract<PostgreSqlEffectivelyOnceFixture>;

public sealed class PostgreSqlSagaContract : SagaContract<PostgreSqlEffectivelyOnceFixture>;

public sealed class PostgreSqlAcceptedRequestContract : AcceptedRequestContract<PostgreSqlEffectivelyOnceFixture>;

public sealed class PostgreSqlDeadLetterContract : DeadLetterContract<PostgreSqlEffectivelyOnceFixture>;
