using System.Text;
using Tidings.Sqlite.Tests.Support;
using Tidings.Transport;
using Tidings.Transport.Contracts;

namespace Tidings.Sqlite.Tests.Stores;

public sealed class EffectivelyOnceTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _directory.Dispose();

    private Task<SqliteTestHost> StartCashierAsync(RetryPolicy? retries = null) => SqliteTestHost.StartAsync(_directory, t => t
        .AddMessage<CardCharged>()
        .AddMessage<ReceiptPrinted>()
        .AddEndpoint("cashier", e =>
        {
            e.Handle<ChargeCard, ChargeCardHandler>();
            e.DeliveryMode = DeliveryMode.EffectivelyOnce;
            e.Retries = retries ?? RetryPolicy.Default;
        }));

    [Fact]
    public async Task A_handler_that_commits_sends_everything_it_staged_in_order()
    {
        await using var host = await StartCashierAsync();
        await using var downstream = await host.ListenAsync("downstream", "sqlite-test.card-charged", "sqlite-test.receipt-printed");

        await host.Bus.SendAsync("cashier", new ChargeCard(1, 450), cancellationToken: Ct);

        var received = await downstream.DrainAsync(2, TimeSpan.FromSeconds(10));
        Assert.Equal(["sqlite-test.card-charged", "sqlite-test.receipt-printed"], received.Select(m => m.Envelope.MessageName));
        Assert.Equal(1, host.Scalar("SELECT COUNT(*) FROM payments"));
        Assert.Equal(1, host.Scalar("SELECT COUNT(*) FROM tidings_inbox WHERE endpoint = 'cashier'"));
        await SqliteTestHost.WaitUntilAsync(() => host.Scalar("SELECT COUNT(*) FROM tidings_outbox") == 0);
    }

    [Fact]
    public async Task A_handler_whose_transaction_rolls_back_sends_nothing_and_writes_nothing()
    {
        await using var host = await StartCashierAsync(RetryPolicy.None);
        CreatePayments(host);
        await using var downstream = await host.ListenAsync("downstream", "sqlite-test.card-charged", "sqlite-test.receipt-printed");

        await host.Bus.SendAsync("cashier", new ChargeCard(1, -1), cancellationToken: Ct);

        var dead = await host.DeadLetterAsync("cashier");
        Assert.Equal("declined", dead.Envelope.Headers[TidingsHeaders.ExceptionMessage]);
        Assert.Empty(await downstream.ReceiveWithin(TimeSpan.FromMilliseconds(500)));
        Assert.Equal(0, host.Scalar("SELECT COUNT(*) FROM payments"));
        Assert.Equal(0, host.Scalar("SELECT COUNT(*) FROM tidings_outbox"));
        Assert.Equal(0, host.Scalar("SELECT COUNT(*) FROM tidings_inbox"));
    }

    [Fact]
    public async Task The_same_message_delivered_twice_has_its_effects_once()
    {
        await using var host = await StartCashierAsync();
        await using var downstream = await host.ListenAsync("downstream", "sqlite-test.card-charged");
        var duplicate = new SendOptions { MessageId = Guid.CreateVersion7() };

        await host.Bus.SendAsync("cashier", new ChargeCard(1, 450), duplicate, Ct);
        await host.Bus.SendAsync("cashier", new ChargeCard(1, 450), duplicate, Ct);
        await host.Bus.SendAsync("cashier", new ChargeCard(2, 300), cancellationToken: Ct);

        var received = await downstream.DrainAsync(2, TimeSpan.FromSeconds(10));
        Assert.Equal(2, received.Count);
        Assert.Empty(await downstream.ReceiveWithin(TimeSpan.FromMilliseconds(500)));
        Assert.Equal(2, host.Scalar("SELECT COUNT(*) FROM payments"));
        Assert.Equal(1, host.Scalar("SELECT COUNT(*) FROM payments WHERE order_id = 1"));
    }

    [Fact]
    public async Task A_failing_message_in_a_batch_rolls_back_only_its_own_work()
    {
        // Queue all three before the endpoint runs, so one worker takes them in one batch.
        await using (var sender = await SqliteTestHost.StartAsync(_directory, t => t.AddMessage<ChargeCard>()))
        {
            CreatePayments(sender);
            await sender.Transport.DeclareAsync(new QueueDeclaration("cashier", []), Ct);
            await sender.Bus.SendAsync("cashier", new ChargeCard(1, 100), cancellationToken: Ct);
            await sender.Bus.SendAsync("cashier", new ChargeCard(2, -1), cancellationToken: Ct);
            await sender.Bus.SendAsync("cashier", new ChargeCard(3, 300), cancellationToken: Ct);
            await sender.Transport.DeclareAsync(new QueueDeclaration("downstream", ["sqlite-test.card-charged"]), Ct);
        }

        await using var host = await StartCashierAsync(RetryPolicy.None);
        await using var downstream = await host.ListenAsync("downstream", "sqlite-test.card-charged");
        var received = await downstream.DrainAsync(2, TimeSpan.FromSeconds(10));
        Assert.Equal([1, 3], received.Select(m => JsonOrderId(m)).Order());
        Assert.Equal(2, host.Scalar("SELECT COUNT(*) FROM payments"));
        Assert.Equal(0, host.Scalar("SELECT COUNT(*) FROM payments WHERE order_id = 2"));
        Assert.Equal("declined", (await host.DeadLetterAsync("cashier")).Envelope.Headers[TidingsHeaders.ExceptionMessage]);
    }

    [Fact]
    public async Task Inbox_entries_older_than_the_retention_are_cleaned_up_in_the_background()
    {
        await using var host = await SqliteTestHost.StartAsync(_directory, t => t
            .Configure(o =>
            {
                o.InboxRetention = TimeSpan.FromMilliseconds(200);
                o.InboxCleanupInterval = TimeSpan.FromMilliseconds(100);
            })
            .AddMessage<CardCharged>()
            .AddMessage<ReceiptPrinted>()
            .AddEndpoint("cashier", e =>
            {
                e.Handle<ChargeCard, ChargeCardHandler>();
                e.DeliveryMode = DeliveryMode.EffectivelyOnce;
            }));
        CreatePayments(host);

        await host.Bus.SendAsync("cashier", new ChargeCard(1, 450), cancellationToken: Ct);
        await SqliteTestHost.WaitUntilAsync(() => host.Scalar("SELECT COUNT(*) FROM payments") == 1);

        await SqliteTestHost.WaitUntilAsync(() => host.Scalar("SELECT COUNT(*) FROM tidings_inbox") == 0);
        Assert.Equal(1, host.Scalar("SELECT COUNT(*) FROM payments"));
    }

    private static int JsonOrderId(ReceivedMessage message) =>
        System.Text.Json.JsonDocument.Parse(Encoding.UTF8.GetString(message.Envelope.Body.Span)).RootElement.GetProperty("orderId").GetInt32();

    private static void CreatePayments(SqliteTestHost host)
    {
        using var connection = host.Store.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "CREATE TABLE IF NOT EXISTS payments (order_id INTEGER, cents INTEGER)";
        command.ExecuteNonQuery();
    }
}
