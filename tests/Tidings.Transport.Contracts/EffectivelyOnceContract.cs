using System.Data.Common;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Tidings.Transport.Contracts;

[MessageName("contract.charge-order")]
public sealed record ChargeOrder(int OrderId, int Cents);

[MessageName("contract.order-charged")]
public sealed record OrderCharged(int OrderId);

[MessageName("contract.receipt-issued")]
public sealed record ReceiptIssued(int OrderId);

/// <summary>Writes a payment in the handler's transaction, then publishes two events; a negative amount is declined after both.</summary>
public sealed class ChargeOrderHandler : IHandleMessages<ChargeOrder>
{
    public async Task HandleAsync(ChargeOrder message, IMessageContext context, CancellationToken cancellationToken)
    {
        var transaction = context.Transaction!;
        await using (var insert = transaction.Connection!.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO payments (order_id, cents) VALUES (@order, @cents)";
            Add(insert, "@order", message.OrderId);
            Add(insert, "@cents", message.Cents);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await context.PublishAsync(new OrderCharged(message.OrderId), cancellationToken: cancellationToken);
        await context.PublishAsync(new ReceiptIssued(message.OrderId), cancellationToken: cancellationToken);
        if (message.Cents < 0)
        {
            throw new InvalidOperationException("declined");
        }
    }

    private static void Add(DbCommand command, string name, int value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}

/// <summary>A bus and a service database for the effectively-once contract: SQLite on its bus file, PostgreSQL on RabbitMQ.</summary>
public interface IEffectivelyOnceFixture : IAsyncDisposable
{
    /// <summary>A client of the bus, for the test's own sends and receives.</summary>
    ITransport Connect();

    /// <summary>Connects a host to the bus.</summary>
    void UseTransport(TidingsBuilder tidings);

    /// <summary>Keeps the host's outbox and inbox in the service database (where the test's <c>payments</c> table is).</summary>
    void UseStore(TidingsBuilder tidings);

    /// <summary>The store's outbox, inbox and saga tables, as SQL names.</summary>
    (string Outbox, string Inbox, string Sagas) Tables { get; }

    /// <summary>Runs SQL on the service database; for a query, returns its first column as a number.</summary>
    Task<long> ScalarAsync(string sql);

    /// <summary>Forgets queues the test made on a bus shared with other tests.</summary>
    Task DeleteQueuesAsync(params string[] queues);
}

/// <summary>
/// What an effectively-once endpoint promises on every store, end to end: its database work and its outgoing messages
/// commit together, once per message. "Nothing else" is proved with a marker sent behind the message under test on the
/// same ordered path (one worker), never by waiting a while.
/// </summary>
public abstract class EffectivelyOnceContract<TFixture> : IAsyncLifetime
    where TFixture : IEffectivelyOnceFixture, new()
{
    private readonly string _cashier = "cashier-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _downstream = "downstream-" + Guid.NewGuid().ToString("N")[..8];
    private readonly List<IHost> _hosts = [];
    private ITransport? _transport;

    protected TFixture Fixture { get; } = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ITransport Transport => _transport ??= Fixture.Connect();

    public async ValueTask InitializeAsync() =>
        await Fixture.ScalarAsync("CREATE TABLE IF NOT EXISTS payments (order_id INTEGER NOT NULL, cents INTEGER NOT NULL)");

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.StopAsync(CancellationToken.None);
            host.Dispose();
        }

        if (_transport is not null)
        {
            await _transport.DisposeAsync();
        }

        await Fixture.DeleteQueuesAsync(_cashier, _downstream);
        await Fixture.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task A_handler_that_commits_sends_everything_it_staged_in_order()
    {
        await using var downstream = await ListenAsync();
        await StartCashierAsync(RetryPolicy.Default);

        await SendAsync(Charge(1, 450));

        var received = await downstream.DrainAsync(2, TimeSpan.FromSeconds(15));
        Assert.Equal(["contract.order-charged", "contract.receipt-issued"], received.Select(m => m.Envelope.MessageName));
        Assert.Equal(1, await Fixture.ScalarAsync("SELECT COUNT(*) FROM payments"));
        Assert.Equal(1, await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Fixture.Tables.Inbox}"));
        await Effects.WaitForAsync(async () => await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Fixture.Tables.Outbox}") == 0, TimeSpan.FromSeconds(15), () => "sent messages stay in the outbox");
    }

    [Fact]
    public async Task A_handler_whose_transaction_rolls_back_sends_nothing_and_writes_nothing()
    {
        await using var downstream = await ListenAsync();
        await StartCashierAsync(RetryPolicy.None);

        await SendAsync(Charge(1, -1));
        var dead = await DeadLetterAsync();
        Assert.Equal("declined", dead.Envelope.Headers[TidingsHeaders.ExceptionMessage]);

        // The next order's events arrive; had the declined one sent anything, it would have come first.
        await SendAsync(Charge(2, 200));
        var received = await downstream.DrainAsync(2, TimeSpan.FromSeconds(15));
        Assert.Equal([2, 2], received.Select(OrderId));
        Assert.Equal(0, await Fixture.ScalarAsync("SELECT COUNT(*) FROM payments WHERE order_id = 1"));
        Assert.Equal(1, await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Fixture.Tables.Inbox}"));
    }

    [Fact]
    public async Task The_same_message_delivered_twice_has_its_effects_once()
    {
        await using var downstream = await ListenAsync();
        await StartCashierAsync(RetryPolicy.Default);
        var duplicate = Charge(7, 300);

        await SendAsync(duplicate, duplicate, Charge(8, 100));

        // Sent after the endpoint started, the three may be taken in two batches, whose messages each leave right after
        // their own commit: in order within a transaction, not across them (docs/postgresql-store.md). What counts here
        // is that the duplicate's effects and messages exist once.
        var received = await downstream.DrainAsync(4, TimeSpan.FromSeconds(15));
        Assert.Equal([7, 7, 8, 8], received.Select(OrderId).Order());
        Assert.Equal(1, await Fixture.ScalarAsync("SELECT COUNT(*) FROM payments WHERE order_id = 7"));
        Assert.Equal(2, await Fixture.ScalarAsync("SELECT COUNT(*) FROM payments"));
    }

    [Fact]
    public async Task A_failing_message_in_a_batch_rolls_back_only_its_own_work()
    {
        // Queued before the endpoint runs, so that its one worker takes the three in one batch.
        await using var downstream = await ListenAsync();
        await Transport.DeclareAsync(new QueueDeclaration(_cashier, []), Ct);
        await SendAsync(Charge(1, 100), Charge(2, -1), Charge(3, 300));
        await StartCashierAsync(RetryPolicy.None);

        var received = await downstream.DrainAsync(4, TimeSpan.FromSeconds(15));
        Assert.Equal([1, 1, 3, 3], received.Select(OrderId).Order());
        Assert.Equal(2, await Fixture.ScalarAsync("SELECT COUNT(*) FROM payments"));
        Assert.Equal(0, await Fixture.ScalarAsync("SELECT COUNT(*) FROM payments WHERE order_id = 2"));
        Assert.Equal("declined", (await DeadLetterAsync()).Envelope.Headers[TidingsHeaders.ExceptionMessage]);
    }

    [Fact]
    public async Task Inbox_entries_older_than_the_retention_are_cleaned_up_in_the_background()
    {
        await StartCashierAsync(RetryPolicy.Default, o =>
        {
            o.InboxRetention = TimeSpan.FromMilliseconds(200);
            o.InboxCleanupInterval = TimeSpan.FromMilliseconds(100);
        });

        await SendAsync(Charge(1, 450));
        await Effects.WaitForAsync(async () => await Fixture.ScalarAsync("SELECT COUNT(*) FROM payments") == 1, TimeSpan.FromSeconds(15), () => "the order was not handled");

        await Effects.WaitForAsync(async () => await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Fixture.Tables.Inbox}") == 0, TimeSpan.FromSeconds(15), () => "the inbox was not cleaned up");
        Assert.Equal(1, await Fixture.ScalarAsync("SELECT COUNT(*) FROM payments"));
    }

    private async Task StartCashierAsync(RetryPolicy retries, Action<TidingsOptions>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddTidings(t =>
        {
            Fixture.UseTransport(t);
            Fixture.UseStore(t);
            t.AddMessage<OrderCharged>().AddMessage<ReceiptIssued>();
            t.Configure(o =>
            {
                o.ShutdownTimeout = TimeSpan.FromSeconds(5);
                configure?.Invoke(o);
            });
            t.AddEndpoint(_cashier, e =>
            {
                e.Handle<ChargeOrder, ChargeOrderHandler>();
                e.DeliveryMode = DeliveryMode.EffectivelyOnce;
                e.Retries = retries;
                e.Concurrency = 1;
            });
        });
        var host = builder.Build();
        _hosts.Add(host);
        await host.StartAsync(Ct);
    }

    private async Task<IMessageReceiver> ListenAsync()
    {
        await Transport.DeclareAsync(new QueueDeclaration(_downstream, ["contract.order-charged", "contract.receipt-issued"]), Ct);
        return Transport.CreateReceiver(_downstream, new ReceiverSettings(TimeSpan.FromSeconds(30)));
    }

    private Task<DeadLetters.DeadLetter> DeadLetterAsync() => TabService.DeadLetterWait.SingleAsync(_hosts[^1].Services, _cashier, TimeSpan.FromSeconds(15));

    private Task SendAsync(params Envelope[] envelopes) =>
        Transport.SendAsync(envelopes.Select(e => new OutgoingMessage(Destination.Queue(_cashier), e)).ToList(), Ct);

    private static Envelope Charge(int orderId, int cents) => new()
    {
        MessageId = Envelope.NewMessageId(),
        MessageName = "contract.charge-order",
        SentAt = DateTimeOffset.UtcNow,
        Body = Encoding.UTF8.GetBytes($"{{\"orderId\":{orderId},\"cents\":{cents}}}"),
    };

    private static int OrderId(ReceivedMessage message) =>
        JsonDocument.Parse(message.Envelope.Body).RootElement.GetProperty("orderId").GetInt32();
}
