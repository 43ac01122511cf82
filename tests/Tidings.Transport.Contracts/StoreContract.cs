using System.Text;
using Tidings.Stores;
using Xunit;

namespace Tidings.Transport.Contracts;

/// <summary>A fresh, isolated store (a database file, a schema) for one test class instance.</summary>
public interface IStoreFixture : IAsyncDisposable
{
    ITransactionalStore Store { get; }

    IOutboxStore Outbox { get; }

    IInboxStore Inbox { get; }

    ISagaStore Sagas { get; }

    IScheduleStore Schedules { get; }

    IIdempotencyStore Idempotency { get; }

    /// <summary>What an operator reads of the store.</summary>
    Tidings.Operations.IStoreInspector Inspector { get; }

    /// <summary>Makes a host keep its outbox and inbox in this fixture's database.</summary>
    void UseStore(TidingsBuilder tidings);
}

/// <summary>What every outbox and inbox store promises. A store's test project subclasses this in one line with its fixture.</summary>
public abstract partial class StoreContract<TFixture> : IAsyncLifetime
    where TFixture : IStoreFixture, new()
{
    protected TFixture Fixture { get; } = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await Fixture.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task The_inbox_records_a_message_once_per_endpoint()
    {
        var id = Guid.CreateVersion7();
        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            Assert.True(await Fixture.Inbox.TryRecordAsync(transaction, "cashier", id, Ct));
            Assert.False(await Fixture.Inbox.TryRecordAsync(transaction, "cashier", id, Ct));
            Assert.True(await Fixture.Inbox.TryRecordAsync(transaction, "rewards", id, Ct));
            await transaction.CommitAsync(Ct);
        }

        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            Assert.False(await Fixture.Inbox.TryRecordAsync(transaction, "cashier", id, Ct));
        }
    }

    [Fact]
    public async Task An_inbox_entry_of_a_rolled_back_transaction_is_forgotten()
    {
        var id = Guid.CreateVersion7();
        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            Assert.True(await Fixture.Inbox.TryRecordAsync(transaction, "cashier", id, Ct));
        }

        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            Assert.True(await Fixture.Inbox.TryRecordAsync(transaction, "cashier", id, Ct));
        }
    }

    [Fact]
    public async Task A_batch_finds_which_of_its_ids_the_inbox_holds_for_its_endpoint()
    {
        var (handled, handledElsewhere, fresh) = (Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7());
        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            await Fixture.Inbox.TryRecordAsync(transaction, "cashier", handled, Ct);
            await Fixture.Inbox.TryRecordAsync(transaction, "rewards", handledElsewhere, Ct);
            await transaction.CommitAsync(Ct);
        }

        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            var recorded = await Fixture.Inbox.FindRecordedAsync(transaction, "cashier", [fresh, handled, handledElsewhere], Ct);
            Assert.Equal([handled], recorded);
        }
    }

    [Fact]
    public async Task A_batch_records_its_ids_at_once_and_learns_which_were_recorded_already()
    {
        var (old, a, b) = (Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7());
        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            await Fixture.Inbox.TryRecordAsync(transaction, "cashier", old, Ct);
            await transaction.CommitAsync(Ct);
        }

        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            Assert.Empty(await Fixture.Inbox.RecordAsync(transaction, "cashier", [b, a], Ct));
            await transaction.CommitAsync(Ct);
        }

        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            var already = await Fixture.Inbox.RecordAsync(transaction, "cashier", [Guid.CreateVersion7(), a, old], Ct);
            Assert.Equal(new HashSet<Guid> { a, old }, already.ToHashSet());
            Assert.True(await Fixture.Inbox.TryRecordAsync(transaction, "rewards", a, Ct));
        }
    }

    [Fact]
    public async Task Inbox_clean_up_forgets_entries_older_than_asked()
    {
        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            await Fixture.Inbox.TryRecordAsync(transaction, "cashier", Guid.CreateVersion7(), Ct);
            await transaction.CommitAsync(Ct);
        }

        Assert.Equal(0, await Fixture.Inbox.PurgeAsync(DateTimeOffset.UtcNow.AddMinutes(-5), Ct));
        Assert.Equal(1, await Fixture.Inbox.PurgeAsync(DateTimeOffset.UtcNow.AddMinutes(5), Ct));
    }

    [Fact]
    public async Task The_outbox_hands_out_committed_messages_oldest_first_whole_and_forgets_removed_ones()
    {
        var messages = Enumerable.Range(0, 5)
            .Select(i => new OutgoingMessage(i % 2 == 0 ? Destination.Topic("t") : Destination.Queue("q"), TestMessages.Envelope(body: i.ToString()),
                i == 0 ? DateTimeOffset.UtcNow.AddMinutes(1) : null))
            .ToList();

        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            var added = await Fixture.Outbox.AddAsync(transaction, messages, Ct);
            Assert.Equal(messages, added.Select(e => e.Message));
            Assert.Equal(added.Select(e => e.Sequence).Order(), added.Select(e => e.Sequence));
            await transaction.CommitAsync(Ct);
        }

        var first = await Fixture.Outbox.FetchAsync(3, Ct);
        Assert.Equal(["0", "1", "2"], first.Select(Body));
        var sent = messages[0].Envelope;
        var stored = first[0].Message;
        Assert.Equal(Destination.Topic("t"), stored.Destination);
        Assert.Equal(Destination.Queue("q"), first[1].Message.Destination);
        Assert.Equal(sent.MessageId, stored.Envelope.MessageId);
        Assert.Equal(sent.MessageName, stored.Envelope.MessageName);
        Assert.Equal(sent.CorrelationId, stored.Envelope.CorrelationId);
        Assert.Equal(sent.CausationId, stored.Envelope.CausationId);
        Assert.Equal(sent.ContentType, stored.Envelope.ContentType);
        Assert.Equal(sent.SentAt.ToUnixTimeMilliseconds(), stored.Envelope.SentAt.ToUnixTimeMilliseconds());
        Assert.Equal(messages[0].DeliverAt!.Value.ToUnixTimeMilliseconds(), stored.DeliverAt!.Value.ToUnixTimeMilliseconds());
        Assert.Equal("yes", stored.Envelope.Headers["x-test"]);
        Assert.Null(first[1].Message.DeliverAt);
        await Fixture.Outbox.RemoveAsync(first, Ct);

        var rest = await Fixture.Outbox.FetchAsync(10, Ct);
        Assert.Equal(["3", "4"], rest.Select(Body));
        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            await Fixture.Outbox.RemoveAsync(transaction, rest, Ct);
            await transaction.CommitAsync(Ct);
        }

        Assert.Empty(await Fixture.Outbox.FetchAsync(10, Ct));
    }

    [Fact]
    public async Task An_outbox_message_of_a_rolled_back_transaction_never_leaves()
    {
        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            await Fixture.Outbox.AddAsync(transaction, [new OutgoingMessage(Destination.Queue("q"), TestMessages.Envelope())], Ct);
        }

        Assert.Empty(await Fixture.Outbox.FetchAsync(10, Ct));
    }

    [Fact]
    public async Task A_removal_inside_a_rolled_back_transaction_keeps_the_message()
    {
        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            await Fixture.Outbox.AddAsync(transaction, [new OutgoingMessage(Destination.Queue("q"), TestMessages.Envelope(body: "kept"))], Ct);
            await transaction.CommitAsync(Ct);
        }

        var entries = await Fixture.Outbox.FetchAsync(10, Ct);
        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            await Fixture.Outbox.RemoveAsync(transaction, entries, Ct);
        }

        Assert.Equal(["kept"], (await Fixture.Outbox.FetchAsync(10, Ct)).Select(Body));
    }

    [Fact]
    public async Task A_unit_of_work_adds_its_messages_and_removes_sent_ones_in_one_go()
    {
        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            await Fixture.Outbox.AddAsync(transaction, [ToQueue("sent"), ToQueue("kept")], Ct);
            await transaction.CommitAsync(Ct);
        }

        var sent = (await Fixture.Outbox.FetchAsync(10, Ct)).Take(1).ToList();
        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            var added = await Fixture.Outbox.AddAndRemoveAsync(
                transaction, [ToQueue("new 1"), ToQueue("new 2")], sent, Ct);
            Assert.Equal(["new 1", "new 2"], added.Select(Body));
            await transaction.CommitAsync(Ct);
        }

        Assert.Equal(["kept", "new 1", "new 2"], (await Fixture.Outbox.FetchAsync(10, Ct)).Select(Body));
    }

    [Fact]
    public async Task A_message_scheduled_by_a_clock_that_runs_behind_is_not_due_early()
    {
        // The scheduling service's clock is five minutes behind: "in an hour" by it is an hour from now, not 55 minutes.
        var behind = DateTimeOffset.UtcNow - TimeSpan.FromMinutes(5);
        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            await Fixture.Schedules.ScheduleAsync(transaction, new ScheduledMessage(Guid.CreateVersion7(), behind.AddHours(1), ToQueue("skewed"), behind), Ct);
            await transaction.CommitAsync(Ct);
        }

        Assert.InRange((await Fixture.Schedules.NextDueInAsync(Ct))!.Value, TimeSpan.FromMinutes(59), TimeSpan.FromMinutes(60));
    }

    [Fact]
    public async Task Scheduled_messages_come_out_when_due_earliest_first_whole_and_once_until_their_claim_runs_out()
    {
        var now = DateTimeOffset.UtcNow;
        var later = new ScheduledMessage(Guid.CreateVersion7(), now.AddHours(1), ToQueue("later"));
        var first = new ScheduledMessage(Guid.CreateVersion7(), now.AddSeconds(-20), ToQueue("first"));
        var second = new ScheduledMessage(Guid.CreateVersion7(), now.AddSeconds(-10), ToQueue("second"));
        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            foreach (var scheduled in new[] { later, second, first })
            {
                await Fixture.Schedules.ScheduleAsync(transaction, scheduled, Ct);
            }

            await transaction.CommitAsync(Ct);
        }

        Assert.InRange((await Fixture.Schedules.NextDueInAsync(Ct))!.Value, TimeSpan.FromSeconds(-30), TimeSpan.FromSeconds(-15)); // first, overdue
        var due = await Fixture.Schedules.FetchDueAsync(10, Ct);
        Assert.Equal(["first", "second"], due.Select(d => Encoding.UTF8.GetString(d.Message.Envelope.Body.Span)));
        Assert.Equal(first.Id, due[0].Id);
        Assert.Equal(first.Message.Envelope.MessageId, due[0].Message.Envelope.MessageId);
        Assert.Equal(Destination.Queue("q"), due[0].Message.Destination);
        Assert.Equal("yes", due[0].Message.Envelope.Headers["x-test"]);
        Assert.Empty(await Fixture.Schedules.FetchDueAsync(10, Ct)); // handed out: claimed
        Assert.InRange((await Fixture.Schedules.NextDueInAsync(Ct))!.Value, TimeSpan.FromMinutes(59), TimeSpan.FromMinutes(61)); // later

        await Fixture.Schedules.RemoveAsync(due.Select(d => d.Id).ToList(), Ct);
        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            Assert.False(await Fixture.Schedules.CancelAsync(transaction, first.Id, Ct)); // sent and removed
            Assert.True(await Fixture.Schedules.CancelAsync(transaction, later.Id, Ct));
            await transaction.CommitAsync(Ct);
        }

        Assert.Null(await Fixture.Schedules.NextDueInAsync(Ct));
    }

    [Fact]
    public async Task A_message_scheduled_or_cancelled_in_a_rolled_back_transaction_is_not()
    {
        var kept = new ScheduledMessage(Guid.CreateVersion7(), DateTimeOffset.UtcNow.AddSeconds(-1), ToQueue("kept"));
        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            await Fixture.Schedules.ScheduleAsync(transaction, kept, Ct);
            await transaction.CommitAsync(Ct);
        }

        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            await Fixture.Schedules.ScheduleAsync(transaction, new ScheduledMessage(Guid.CreateVersion7(), DateTimeOffset.UtcNow.AddSeconds(-1), ToQueue("never")), Ct);
            Assert.True(await Fixture.Schedules.CancelAsync(transaction, kept.Id, Ct));
        }

        Assert.Equal(["kept"], (await Fixture.Schedules.FetchDueAsync(10, Ct)).Select(d => Encoding.UTF8.GetString(d.Message.Envelope.Body.Span)));
    }

    private static OutgoingMessage ToQueue(string body) => new(Destination.Queue("q"), TestMessages.Envelope(body: body));

    private static string Body(OutboxEntry entry) => Encoding.UTF8.GetString(entry.Message.Envelope.Body.Span);
}
