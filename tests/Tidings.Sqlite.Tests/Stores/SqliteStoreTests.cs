using Tidings.Sqlite.Tests.Support;
using Tidings.Transport;
using Tidings.Transport.Contracts;

namespace Tidings.Sqlite.Tests.Stores;

public sealed class SqliteStoreTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task The_inbox_records_a_message_once_per_endpoint()
    {
        var store = new SqliteStore(new SqliteStoreOptions { Path = _directory.File("service.db") });
        var inbox = new SqliteInboxStore(store);
        var id = Guid.CreateVersion7();

        await using (var transaction = await store.BeginAsync(Ct))
        {
            Assert.True(await inbox.TryRecordAsync(transaction, "cashier", id, Ct));
            Assert.False(await inbox.TryRecordAsync(transaction, "cashier", id, Ct));
            Assert.True(await inbox.TryRecordAsync(transaction, "rewards", id, Ct));
            await transaction.CommitAsync(Ct);
        }

        await using (var transaction = await store.BeginAsync(Ct))
        {
            Assert.False(await inbox.TryRecordAsync(transaction, "cashier", id, Ct));
        }
    }

    [Fact]
    public async Task An_inbox_entry_of_a_rolled_back_transaction_is_forgotten()
    {
        var store = new SqliteStore(new SqliteStoreOptions { Path = _directory.File("service.db") });
        var inbox = new SqliteInboxStore(store);
        var id = Guid.CreateVersion7();

        await using (var transaction = await store.BeginAsync(Ct))
        {
            Assert.True(await inbox.TryRecordAsync(transaction, "cashier", id, Ct));
        }

        await using (var transaction = await store.BeginAsync(Ct))
        {
            Assert.True(await inbox.TryRecordAsync(transaction, "cashier", id, Ct));
        }
    }

    [Fact]
    public async Task Inbox_clean_up_forgets_entries_older_than_the_retention_only()
    {
        var store = new SqliteStore(new SqliteStoreOptions { Path = _directory.File("service.db") });
        var clock = new ManualClock(DateTimeOffset.UtcNow.AddDays(-8));
        var inbox = new SqliteInboxStore(store, clock);

        await using (var transaction = await store.BeginAsync(Ct))
        {
            await inbox.TryRecordAsync(transaction, "cashier", Guid.CreateVersion7(), Ct);
            clock.Now = DateTimeOffset.UtcNow;
            await inbox.TryRecordAsync(transaction, "cashier", Guid.CreateVersion7(), Ct);
            await transaction.CommitAsync(Ct);
        }

        Assert.Equal(1, await inbox.PurgeAsync(DateTimeOffset.UtcNow.AddDays(-7), Ct));
        Assert.Equal(0, await inbox.PurgeAsync(DateTimeOffset.UtcNow.AddDays(-7), Ct));
    }

    [Fact]
    public async Task The_outbox_hands_out_committed_messages_oldest_first_and_forgets_removed_ones()
    {
        var store = new SqliteStore(new SqliteStoreOptions { Path = _directory.File("service.db") });
        var outbox = new SqliteOutboxStore(store);
        var messages = Enumerable.Range(0, 5)
            .Select(i => new OutgoingMessage(Destination.Topic("t"), TestMessages.Envelope(body: i.ToString()), i == 0 ? DateTimeOffset.UtcNow.AddMinutes(1) : null))
            .ToList();

        await using (var transaction = await store.BeginAsync(Ct))
        {
            await outbox.AddAsync(transaction, messages, Ct);
            await transaction.CommitAsync(Ct);
        }

        await using (var rolledBack = await store.BeginAsync(Ct))
        {
            await outbox.AddAsync(rolledBack, messages, Ct);
        }

        var first = await outbox.FetchAsync(3, Ct);
        Assert.Equal(["0", "1", "2"], first.Select(e => TestMessagesBody(e)));
        Assert.Equal(messages[0].Envelope.MessageId, first[0].Message.Envelope.MessageId);
        Assert.Equal(messages[0].DeliverAt!.Value.ToUnixTimeMilliseconds(), first[0].Message.DeliverAt!.Value.ToUnixTimeMilliseconds());
        Assert.Equal("yes", first[0].Message.Envelope.Headers["x-test"]);
        await outbox.RemoveAsync(first, Ct);

        var rest = await outbox.FetchAsync(10, Ct);
        Assert.Equal(["3", "4"], rest.Select(e => TestMessagesBody(e)));
    }

    private static string TestMessagesBody(Tidings.Stores.OutboxEntry entry) => System.Text.Encoding.UTF8.GetString(entry.Message.Envelope.Body.Span);

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
