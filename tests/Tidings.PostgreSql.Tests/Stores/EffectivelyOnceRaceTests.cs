using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using RabbitMQ.Client;
using Tidings.PostgreSql.Tests.Support;
using Tidings.RabbitMQ;
using Tidings.Transport;
using Tidings.Transport.Contracts;

namespace Tidings.PostgreSql.Tests.Stores;

/// <summary>
/// Plays another instance of the service: while this instance handles order 12, the other one handles the message of
/// order 13 (<see cref="Target"/>) and commits first (its inbox row appears from another connection). Order 13 then
/// comes in the same batch as 12, whose inbox lookup is done, or in a later one.
/// </summary>
public sealed class OtherInstance(string connectionString, string schema)
{
    private int _fired;

    public Guid Target { get; set; }

    public async Task HandleFirstAsync(IMessageContext context, int orderId, CancellationToken cancellationToken)
    {
        if (orderId != 12 || Interlocked.Exchange(ref _fired, 1) == 1)
        {
            return;
        }

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var insert = new NpgsqlCommand($"INSERT INTO {schema}.inbox (endpoint, message_id) VALUES ($1, $2)", connection);
        insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = context.Endpoint });
        insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = Target });
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary><see cref="ChargeOrderHandler"/>, racing <see cref="OtherInstance"/> on order 13.</summary>
public sealed class RacedChargeOrderHandler(OtherInstance other) : IHandleMessages<ChargeOrder>
{
    public async Task HandleAsync(ChargeOrder message, IMessageContext context, CancellationToken cancellationToken)
    {
        await other.HandleFirstAsync(context, message.OrderId, cancellationToken);
        await new ChargeOrderHandler().HandleAsync(message, context, cancellationToken);
    }
}

/// <summary><see cref="ChargeOrderHandler"/>, counting how often it runs for each order; order 30 waits for <see cref="HandlerRuns.Release"/>.</summary>
public sealed class CountedChargeOrderHandler(HandlerRuns runs) : IHandleMessages<ChargeOrder>
{
    public async Task HandleAsync(ChargeOrder message, IMessageContext context, CancellationToken cancellationToken)
    {
        runs.Add(message.OrderId);
        if (message.OrderId == 30)
        {
            await runs.Release.Task.WaitAsync(cancellationToken);
        }

        await new ChargeOrderHandler().HandleAsync(message, context, cancellationToken);
    }
}

public sealed class HandlerRuns
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, int> _runs = new();

    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Add(int orderId) => _runs.AddOrUpdate(orderId, 1, (_, n) => n + 1);

    public int For(int orderId) => _runs.GetValueOrDefault(orderId);
}

/// <summary>
/// What only several PostgreSQL instances of one service show, end to end (the rest is the effectively-once contract):
/// a real RabbitMQ, the outbox and inbox in a real PostgreSQL, one schema per test.
/// </summary>
[Collection(nameof(ContractEvents))]
public sealed class EffectivelyOnceRaceTests : IAsyncDisposable
{
    private static readonly RabbitMqTransportOptions RabbitMq = new()
    {
        ConnectionString = Broker.Uri,
    };

    private readonly string _schema = Database.NewSchema();
    private readonly string _cashier = "cashier-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _downstream = "downstream-" + Guid.NewGuid().ToString("N")[..8];
    private IHost? _host;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.StopAsync(CancellationToken.None);
            _host.Dispose();
        }

        await Broker.DeleteQueuesAsync(_cashier, _downstream);
    }

    [Fact]
    public async Task A_message_another_instance_handled_while_the_batch_ran_has_no_effects_here_and_the_rest_of_the_batch_has_them_once()
    {
        var (transport, downstream) = await StartAsync<RacedChargeOrderHandler>(RetryPolicy.Default, paused: true);
        var orders = new[] { 11, 12, 13, 14, 15 };
        var envelopes = orders.Select(ChargeEnvelope).ToList();
        _host!.Services.GetRequiredService<OtherInstance>().Target = envelopes[2].MessageId;
        await transport.SendAsync(envelopes.Select(e => new OutgoingMessage(Destination.Queue(_cashier), e)).ToList(), Ct);
        await _host!.StartAsync(Ct); // after the sends, so the five arrive as one batch

        // Two events for each order but 13; a marker order sent after the batch proves nothing else followed it.
        var received = await downstream.DrainAsync(8, TimeSpan.FromSeconds(15));
        await transport.SendAsync([new OutgoingMessage(Destination.Queue(_cashier), ChargeEnvelope(16))], Ct);
        received.AddRange(await downstream.DrainAsync(2, TimeSpan.FromSeconds(15)));
        Assert.Equal([11, 11, 12, 12, 14, 14, 15, 15, 16, 16], received.Select(OrderId).Order());
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM payments WHERE order_id = 13"));
        Assert.Equal(5L, await ScalarAsync("SELECT count(DISTINCT order_id) FROM payments"));
        Assert.Equal(5L, await ScalarAsync("SELECT count(*) FROM payments"));
        Assert.Equal(6L, await ScalarAsync($"SELECT count(*) FROM {_schema}.inbox"));
        await transport.DisposeAsync();
    }

    [Fact]
    public async Task A_redelivered_message_another_instance_is_still_handling_waits_for_it_and_never_reaches_its_handler_here()
    {
        var (transport, downstream) = await StartAsync<CountedChargeOrderHandler>(RetryPolicy.Default, paused: true, concurrency: 1);
        var runs = _host!.Services.GetRequiredService<HandlerRuns>();
        var redelivered = ChargeEnvelope(32);
        await transport.SendAsync([new OutgoingMessage(Destination.Queue(_cashier), redelivered)], Ct);

        // Another instance took the message and is still in its transaction when its consumer dies.
        var factory = new ConnectionFactory { Uri = Broker.Uri };
        await using var otherBroker = await factory.CreateConnectionAsync(Ct);
        var otherChannel = await otherBroker.CreateChannelAsync(cancellationToken: Ct);
        Assert.NotNull(await otherChannel.BasicGetAsync(_cashier, autoAck: false, Ct));
        await using var other = new NpgsqlConnection(Database.ConnectionString);
        await other.OpenAsync(Ct);
        await using (var schema = new NpgsqlCommand(PostgreSqlSchema.Script(_schema), other))
        {
            await schema.ExecuteNonQueryAsync(Ct);
        }

        await using var otherTransaction = await other.BeginTransactionAsync(Ct);
        await using (var insert = new NpgsqlCommand($"INSERT INTO {_schema}.inbox (endpoint, message_id) VALUES ($1, $2)", other, otherTransaction))
        {
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _cashier });
            insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = redelivered.MessageId });
            await insert.ExecuteNonQueryAsync(Ct);
        }

        // This instance's one worker is busy with order 30 while the broker hands the message out again, marked as a
        // redelivery, and two more come: the three then make one batch.
        await _host.StartAsync(Ct);
        await transport.SendAsync([new OutgoingMessage(Destination.Queue(_cashier), ChargeEnvelope(30))], Ct);
        await Effects.WaitForAsync(() => runs.For(30) == 1, TimeSpan.FromSeconds(10), () => "order 30 was not handled");
        await otherChannel.CloseAsync(Ct);
        await transport.SendAsync([new OutgoingMessage(Destination.Queue(_cashier), ChargeEnvelope(31)), new OutgoingMessage(Destination.Queue(_cashier), ChargeEnvelope(33))], Ct);
        await Effects.WaitForAsync(() => ReadyInQueueAsync().Result == 0, TimeSpan.FromSeconds(10), () => "the broker did not hand the three out");
        await Task.Delay(TimeSpan.FromMilliseconds(100), Ct); // from the client's socket into the receiver's buffer
        runs.Release.SetResult();

        // The batch's insert of the redelivered id waits for the other instance's transaction, which then commits.
        await Effects.WaitForAsync(() => ScalarAsync($"SELECT count(*) FROM pg_stat_activity WHERE {other.ProcessID} = ANY(pg_blocking_pids(pid))").Result > 0,
            TimeSpan.FromSeconds(10), () => "nothing waited for the other instance's inbox row");
        await otherTransaction.CommitAsync(Ct);

        // Two events each for orders 30, 31 and 33, then the marker's: the one worker handles them in order.
        var received = await downstream.DrainAsync(6, TimeSpan.FromSeconds(15));
        await transport.SendAsync([new OutgoingMessage(Destination.Queue(_cashier), ChargeEnvelope(34))], Ct);
        received.AddRange(await downstream.DrainAsync(2, TimeSpan.FromSeconds(15)));
        Assert.Equal([30, 30, 31, 31, 33, 33, 34, 34], received.Select(OrderId).Order());
        Assert.Equal(0, runs.For(32));
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM payments WHERE order_id = 32"));
        Assert.Equal(4L, await ScalarAsync("SELECT count(*) FROM payments"));
        await transport.DisposeAsync();
    }

    private static int OrderId(ReceivedMessage message) =>
        System.Text.Json.JsonDocument.Parse(message.Envelope.Body).RootElement.GetProperty("orderId").GetInt32();

    /// <summary>Messages in the endpoint's queue not yet handed to a consumer.</summary>
    private async Task<uint> ReadyInQueueAsync()
    {
        var factory = new ConnectionFactory { Uri = Broker.Uri };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        return (await channel.QueueDeclarePassiveAsync(_cashier)).MessageCount;
    }

    private static Envelope ChargeEnvelope(int orderId) => new()
    {
        MessageId = Envelope.NewMessageId(),
        MessageName = "contract.charge-order",
        SentAt = DateTimeOffset.UtcNow,
        Body = Encoding.UTF8.GetBytes($"{{\"orderId\":{orderId},\"cents\":100}}"),
    };

    private async Task<(RabbitMqTransport Transport, IMessageReceiver Downstream)> StartAsync<THandler>(RetryPolicy retries, bool paused, int concurrency = 4)
        where THandler : class, IHandleMessages<ChargeOrder>
    {
        await using (var connection = new NpgsqlConnection(Database.ConnectionString))
        {
            await connection.OpenAsync(Ct);
            await using var create = new NpgsqlCommand($"CREATE SCHEMA {_schema}; CREATE TABLE {_schema}.payments (order_id int NOT NULL, cents int NOT NULL)", connection);
            await create.ExecuteNonQueryAsync(Ct);
        }

        var transport = new RabbitMqTransport(RabbitMq);
        await transport.DeclareAsync(new QueueDeclaration(_downstream, ["contract.order-charged", "contract.receipt-issued"]), Ct);
        var downstream = transport.CreateReceiver(_downstream, new ReceiverSettings(TimeSpan.FromSeconds(30)));

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddTidings(t => t
            .UseRabbitMq(RabbitMq)
            .UsePostgreSqlStore(Database.Options(_schema, TimeSpan.FromSeconds(30)) with
            {
                // The handler's own table lives in the test's schema too.
                ConnectionString = new NpgsqlConnectionStringBuilder(Database.ConnectionString) { SearchPath = _schema }.ConnectionString,
            })
            .AddMessage<OrderCharged>()
            .AddMessage<ReceiptIssued>()
            .AddEndpoint(_cashier, e =>
            {
                e.Handle<ChargeOrder, THandler>();
                e.DeliveryMode = DeliveryMode.EffectivelyOnce;
                e.Retries = retries;
                e.Concurrency = concurrency;
            }));
        builder.Services.AddSingleton(new OtherInstance(Database.ConnectionString, _schema));
        builder.Services.AddSingleton<HandlerRuns>();
        _host = builder.Build();
        if (paused)
        {
            // Declares the endpoint's queue without consuming from it yet.
            await transport.DeclareAsync(new QueueDeclaration(_cashier, []), Ct);
        }
        else
        {
            await _host.StartAsync(Ct);
        }

        return (transport, downstream);
    }

    private async Task<long> ScalarAsync(string sql)
    {
        var builder = new NpgsqlConnectionStringBuilder(Database.ConnectionString) { SearchPath = _schema };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
