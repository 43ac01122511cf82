using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using RabbitMQ.Client;
using Tidings.PostgreSql.Tests.Stores;
using Tidings.PostgreSql.Tests.Support;
using Tidings.RabbitMQ;
using Tidings.Transport;
using Tidings.Transport.Contracts;

namespace Tidings.PostgreSql.Tests.Faults;

/// <summary>Tests that stop the database server: they run alone, after every other test of the run.</summary>
[CollectionDefinition(nameof(DatabaseOutage), DisableParallelization = true)]
public sealed class DatabaseOutage;

[Collection(nameof(DatabaseOutage))]
public sealed class DatabaseOutageTests : IAsyncDisposable
{
    private static readonly RabbitMqTransportOptions RabbitMq = new()
    {
        ConnectionString = Broker.Uri,
    };

    private readonly string _schema = Database.NewSchema();
    private readonly string _cashier = "outage-" + Guid.NewGuid().ToString("N")[..8];
    private IHost? _host;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        await Server.StartAsync(); // whatever happened in the test
        if (_host is not null)
        {
            await _host.StopAsync(CancellationToken.None);
            _host.Dispose();
        }

        await Broker.DeleteQueuesAsync(_cashier);
    }

    [Fact]
    public async Task While_the_database_is_down_the_endpoint_pauses_and_afterwards_handles_everything_once()
    {
        const int count = 300;
        var connectionString = new NpgsqlConnectionStringBuilder(Database.ConnectionString) { SearchPath = _schema }.ConnectionString;
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync(Ct);
            await using var create = new NpgsqlCommand($"CREATE SCHEMA {_schema}; CREATE TABLE {_schema}.payments (order_id int NOT NULL, cents int NOT NULL)", connection);
            await create.ExecuteNonQueryAsync(Ct);
        }

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddTidings(t => t
            .UseRabbitMq(RabbitMq)
            .UsePostgreSqlStore(Database.Options(_schema, TimeSpan.FromSeconds(5)) with { ConnectionString = connectionString })
            .AddMessage<OrderCharged>()
            .AddMessage<ReceiptIssued>()
            .AddEndpoint(_cashier, e =>
            {
                e.Handle<ChargeOrder, ChargeOrderHandler>();
                e.DeliveryMode = DeliveryMode.EffectivelyOnce;
                e.Retries = RetryPolicy.Default with { BaseDelay = TimeSpan.FromMilliseconds(200) };
            }));
        _host = builder.Build();
        await _host.StartAsync(Ct);
        var bus = _host.Services.GetRequiredService<IBus>();

        for (var order = 0; order < count; order++)
        {
            if (order == count / 3)
            {
                await Server.StopAsync();
            }

            if (order == count / 2)
            {
                await Task.Delay(TimeSpan.FromSeconds(2), Ct);
                await Server.StartAsync();
            }

            await bus.SendAsync(_cashier, new ChargeOrder(order, 100), cancellationToken: Ct);
            await Task.Delay(10, Ct);
        }

        await Effects.WaitForAsync(() => Count(connectionString, "SELECT count(DISTINCT order_id) FROM payments") == count, TimeSpan.FromSeconds(90),
            () => $"{Count(connectionString, "SELECT count(DISTINCT order_id) FROM payments")} of {count} orders paid");
        Assert.Equal(count, Count(connectionString, "SELECT count(*) FROM payments"));
    }

    private static long Count(string connectionString, string sql)
    {
        try
        {
            using var connection = new NpgsqlConnection(connectionString);
            connection.Open();
            using var command = new NpgsqlCommand(sql, connection);
            return (long)command.ExecuteScalar()!;
        }
        catch (NpgsqlException)
        {
            return -1;
        }
    }
}
