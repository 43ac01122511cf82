using Tidings.Operations;
using Tidings.Stores;
using Xunit;

namespace Tidings.Transport.Contracts;

/// <summary>What an operator reads of every store: its counts, its parked outbox messages (retried and purged), its schedules.</summary>
public abstract partial class StoreContract<TFixture>
{
    [Fact]
    public async Task The_inspector_counts_the_outbox_its_parked_messages_the_schedules_and_the_sagas_by_status()
    {
        var now = DateTimeOffset.UtcNow;
        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            await Fixture.Outbox.AddAsync(transaction, [ToQueue("a"), ToQueue("b"), ToQueue("c")], Ct);
            await Fixture.Schedules.ScheduleAsync(transaction, new ScheduledMessage(Guid.CreateVersion7(), now.AddHours(-1), ToQueue("due")), Ct);
            await Fixture.Schedules.ScheduleAsync(transaction, new ScheduledMessage(Guid.CreateVersion7(), now.AddHours(1), ToQueue("later")), Ct);
            await Fixture.Schedules.ScheduleAsync(transaction, new ScheduledMessage(Guid.CreateVersion7(), now.AddHours(2), ToQueue("later still")), Ct);
            await Fixture.Sagas.InsertAsync(transaction, "order", "o-1", """{"status":"active"}""", Ct);
            await Fixture.Sagas.InsertAsync(transaction, "order", "o-2", """{"status":"active"}""", Ct);
            await Fixture.Sagas.InsertAsync(transaction, "order", "o-3", """{"status":"completed"}""", Ct);
            await Fixture.Sagas.InsertAsync(transaction, "refund", "r-1", """{"status":"compensated"}""", Ct);
            await transaction.CommitAsync(Ct);
        }

        var staged = await Fixture.Outbox.FetchAsync(10, Ct);
        await Fixture.Outbox.ParkAsync([staged[0]], "no queue 'nowhere'", LongWait, Ct);

        var statistics = await Fixture.Inspector.GetStatisticsAsync(Ct);
        Assert.Equal(3, statistics.Outbox.Count);
        Assert.Equal(1, statistics.Parked.Count);
        Assert.Equal(1, statistics.ScheduledDue);
        Assert.Equal(2, statistics.ScheduledPending);
        Assert.Equal(
            [new SagaCount("order", SagaStatus.Active, 2), new SagaCount("order", SagaStatus.Completed, 1), new SagaCount("refund", SagaStatus.Compensated, 1)],
            statistics.Sagas.OrderBy(s => s.Saga, StringComparer.Ordinal).ThenBy(s => s.Status));
    }

    [Fact]
    public async Task Parked_messages_are_listed_with_their_reason_a_page_at_a_time_retried_and_purged()
    {
        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            await Fixture.Outbox.AddAsync(transaction, [ToQueue("p1"), ToQueue("p2"), ToQueue("p3"), ToQueue("fresh")], Ct);
            await transaction.CommitAsync(Ct);
        }

        var staged = await Fixture.Outbox.FetchAsync(10, Ct);
        await Fixture.Outbox.ParkAsync(staged.Take(3).ToList(), "no queue 'kitchen'", LongWait, Ct);

        var first = await Fixture.Inspector.ListParkedAsync(2, 0, Ct);
        Assert.Equal(2, first.Count);
        Assert.True(first[0].Sequence < first[1].Sequence);
        Assert.All(first, p =>
        {
            Assert.Equal("q", p.Destination);
            Assert.Equal(1, p.Attempts);
            Assert.Equal("no queue 'kitchen'", p.LastError);
            Assert.True(p.NextAttemptAt > DateTimeOffset.UtcNow.AddMinutes(30), $"next attempt {p.NextAttemptAt}");
        });
        var rest = Assert.Single(await Fixture.Inspector.ListParkedAsync(10, first[^1].Sequence, Ct));
        Assert.Equal(staged[2].Sequence, rest.Sequence);
        Assert.Equal(staged[2].Message.Envelope.MessageId, rest.MessageId);

        // A retried one is due at once, its failure forgotten; one that was never parked is not touched.
        Assert.Equal(1, await Fixture.Inspector.RetryParkedAsync([first[0].Sequence, staged[3].Sequence], Ct));
        var due = await Fixture.Outbox.FetchAsync(10, Ct);
        Assert.Equal(["fresh", "p1"], due.Select(Body).Order(StringComparer.Ordinal));
        Assert.All(due, e => Assert.Equal(0, e.Attempts));
        Assert.Equal(2, (await Fixture.Inspector.GetStatisticsAsync(Ct)).Parked.Count);

        Assert.Equal(2, await Fixture.Inspector.PurgeParkedAsync(null, Ct));
        var after = await Fixture.Inspector.GetStatisticsAsync(Ct);
        Assert.Equal(ParkedMessages.None, after.Parked);
        Assert.Equal(2, after.Outbox.Count);
    }

    [Fact]
    public async Task Scheduled_messages_are_listed_soonest_first_a_page_at_a_time()
    {
        var now = DateTimeOffset.UtcNow;
        var ids = Enumerable.Range(1, 5).Select(_ => Guid.CreateVersion7()).ToList();
        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            // Scheduled out of order: the list orders them by when they are due.
            foreach (var i in new[] { 3, 0, 4, 1, 2 })
            {
                await Fixture.Schedules.ScheduleAsync(transaction, new ScheduledMessage(ids[i], now.AddHours(i + 1), ToQueue($"s{i}")), Ct);
            }

            await transaction.CommitAsync(Ct);
        }

        var listed = new List<ScheduledSummary>();
        string? after = null;
        var pages = 0;
        do
        {
            var page = await Fixture.Inspector.ListScheduledAsync(2, after, Ct);
            listed.AddRange(page.Items);
            after = page.Next;
            pages++;
        }
        while (after is not null);

        Assert.Equal(3, pages);
        Assert.Equal(ids, listed.Select(s => s.Id));
        Assert.All(listed, s => Assert.Equal("q", s.Destination));
        Assert.Equal(listed.Select(s => s.DueAt).Order(), listed.Select(s => s.DueAt));
        Assert.Throws<ArgumentException>(() => Fixture.Inspector.ListScheduledAsync(2, "not a cursor", Ct).GetAwaiter().GetResult());
    }
}
