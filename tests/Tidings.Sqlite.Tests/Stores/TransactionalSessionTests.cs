using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Tidings.Sqlite.Tests.Support;
using Tidings.Transport.Contracts;

namespace Tidings.Sqlite.Tests.Stores;

public sealed class TransactionalSessionTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Business_data_and_messages_commit_together_and_the_relay_sends_them()
    {
        await using var host = await SqliteTestHost.StartAsync(_directory, t => t.AddMessage<CardCharged>());
        CreateOrders(host);
        await using var downstream = await host.ListenAsync("downstream", "sqlite-test.card-charged");
        var sessions = host.Services.GetRequiredService<ITransactionalSessionFactory>();

        await using (var session = await sessions.BeginAsync(Ct))
        {
            InsertOrder(session, 42);
            await session.PublishAsync(new CardCharged(42), cancellationToken: Ct);
            await session.CommitAsync(Ct);
        }

        var received = Assert.Single(await downstream.DrainAsync(1, TimeSpan.FromSeconds(10)));
        Assert.Equal("sqlite-test.card-charged", received.Envelope.MessageName);
        Assert.Equal(1, host.Scalar("SELECT COUNT(*) FROM orders WHERE id = 42"));
    }

    [Fact]
    public async Task A_session_disposed_without_commit_keeps_neither_data_nor_messages()
    {
        await using var host = await SqliteTestHost.StartAsync(_directory, t => t.AddMessage<CardCharged>());
        CreateOrders(host);
        await using var downstream = await host.ListenAsync("downstream", "sqlite-test.card-charged");
        var sessions = host.Services.GetRequiredService<ITransactionalSessionFactory>();

        await using (var session = await sessions.BeginAsync(Ct))
        {
            InsertOrder(session, 43);
            await session.PublishAsync(new CardCharged(43), cancellationToken: Ct);
        }

        // A session that commits afterwards: its message is the first to arrive, so the rolled-back one never left.
        await using (var session = await sessions.BeginAsync(Ct))
        {
            await session.PublishAsync(new CardCharged(44), cancellationToken: Ct);
            await session.CommitAsync(Ct);
        }

        var received = Assert.Single(await downstream.DrainAsync(1, TimeSpan.FromSeconds(10)));
        Assert.Equal(44, System.Text.Json.JsonDocument.Parse(received.Envelope.Body).RootElement.GetProperty("orderId").GetInt32());
        Assert.Equal(0, host.Scalar("SELECT COUNT(*) FROM orders"));
    }

    [Fact]
    public async Task Many_messages_of_one_transaction_leave_in_the_order_they_were_staged()
    {
        await using var host = await SqliteTestHost.StartAsync(_directory, t => t.AddMessage<CardCharged>());
        await using var downstream = await host.ListenAsync("downstream", "sqlite-test.card-charged");
        var sessions = host.Services.GetRequiredService<ITransactionalSessionFactory>();

        await using (var session = await sessions.BeginAsync(Ct))
        {
            for (var i = 0; i < 100; i++)
            {
                await session.PublishAsync(new CardCharged(i), cancellationToken: Ct);
            }

            await session.CommitAsync(Ct);
        }

        var received = await downstream.DrainAsync(100, TimeSpan.FromSeconds(10));
        Assert.Equal(Enumerable.Range(0, 100), received.Select(m =>
            System.Text.Json.JsonDocument.Parse(m.Envelope.Body).RootElement.GetProperty("orderId").GetInt32()));
    }

    [Fact]
    public async Task An_unroutable_outbox_message_stays_behind_without_holding_up_the_others()
    {
        await using var host = await SqliteTestHost.StartAsync(_directory, t => t.AddMessage<CardCharged>());
        await using var downstream = await host.ListenAsync("downstream", "sqlite-test.card-charged");
        var sessions = host.Services.GetRequiredService<ITransactionalSessionFactory>();

        await using (var session = await sessions.BeginAsync(Ct))
        {
            await session.SendAsync("no-such-endpoint", new CardCharged(1), cancellationToken: Ct);
            await session.PublishAsync(new CardCharged(2), cancellationToken: Ct);
            await session.CommitAsync(Ct);
        }

        var received = Assert.Single(await downstream.DrainAsync(1, TimeSpan.FromSeconds(10)));
        Assert.Contains("\"orderId\":2", received.BodyText(), StringComparison.Ordinal);
        Assert.Equal(1, host.Scalar("SELECT COUNT(*) FROM tidings_outbox WHERE destination = 'no-such-endpoint'"));
    }

    [Fact]
    public async Task A_committed_session_refuses_further_messages_instead_of_dropping_them()
    {
        await using var host = await SqliteTestHost.StartAsync(_directory, t => t.AddMessage<CardCharged>());
        var sessions = host.Services.GetRequiredService<ITransactionalSessionFactory>();

        await using var session = await sessions.BeginAsync(Ct);
        await session.CommitAsync(Ct);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await session.PublishAsync(new CardCharged(1), cancellationToken: Ct));
        Assert.Contains("committed", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidOperationException>(() => session.CommitAsync(Ct));
    }

    [Fact]
    public async Task A_transaction_begun_inside_another_of_the_same_store_fails_with_a_clear_error_instead_of_hanging()
    {
        using var store = new SqliteStore(new SqliteStoreOptions { Path = _directory.File("service.db"), BusyTimeout = TimeSpan.FromSeconds(1) });

        await using (var outer = await store.BeginAsync(Ct))
        {
            var error = await Assert.ThrowsAsync<TimeoutException>(async () => await store.BeginAsync(Ct));
            Assert.Contains("context.Transaction", error.Message, StringComparison.Ordinal);

            // Committing ends the turn, even before disposal.
            await outer.CommitAsync(Ct);
            await using var next = await store.BeginAsync(Ct);
        }
    }

    private static void CreateOrders(SqliteTestHost host)
    {
        using var connection = host.Store.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "CREATE TABLE orders (id INTEGER PRIMARY KEY)";
        command.ExecuteNonQuery();
    }

    private static void InsertOrder(ITransactionalSession session, int id)
    {
        using var command = (SqliteCommand)session.Connection.CreateCommand();
        command.Transaction = (SqliteTransaction)session.Transaction;
        command.CommandText = "INSERT INTO orders (id) VALUES ($id)";
        command.Parameters.AddWithValue("$id", id);
        command.ExecuteNonQuery();
    }
}
