using Tidings.Transport;
using Xunit;

namespace Tidings.Transport.Contracts;

/// <summary>
/// What every transport promises. A transport's test project subclasses this in one line with its fixture.
/// </summary>
public abstract class TransportContract<TFixture> : IAsyncLifetime
    where TFixture : ITransportFixture, new()
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private static readonly ReceiverSettings Settings = new(TimeSpan.FromSeconds(30));

    protected TFixture Fixture { get; } = new();

    protected ITransport Transport { get; private set; } = null!;

    public ValueTask InitializeAsync()
    {
        Transport = Fixture.Connect();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await Transport.DisposeAsync();
        await Fixture.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    private static string Unique(string name) => $"{name}-{Guid.NewGuid():N}"[..20];

    [Fact]
    public async Task A_sent_message_arrives_with_its_whole_envelope()
    {
        var queue = Unique("orders");
        await Transport.DeclareAsync(new QueueDeclaration(queue, []));
        var sent = TestMessages.Envelope(body: "{\"n\":1}");

        await Transport.SendAsync([new OutgoingMessage(Destination.Queue(queue), sent)]);
        await using var receiver = Transport.CreateReceiver(queue, Settings);
        var received = Assert.Single(await receiver.ReceiveWithin(Patience));

        var envelope = received.Envelope;
        Assert.Equal(sent.MessageId, envelope.MessageId);
        Assert.Equal(sent.MessageName, envelope.MessageName);
        Assert.Equal(sent.CorrelationId, envelope.CorrelationId);
        Assert.Equal(sent.CausationId, envelope.CausationId);
        Assert.Equal(sent.SentAt.ToUnixTimeMilliseconds(), envelope.SentAt.ToUnixTimeMilliseconds());
        Assert.Equal(sent.ContentType, envelope.ContentType);
        Assert.Equal("yes", envelope.Headers["x-test"]);
        Assert.Equal("{\"n\":1}", received.BodyText());
        Assert.Equal(1, received.DeliveryCount);
    }

    [Fact]
    public async Task A_queue_counts_the_messages_that_wait_in_it_and_an_unknown_queue_counts_none()
    {
        var queue = Unique("counted");
        var health = Assert.IsAssignableFrom<ITransportHealth>(Transport);
        await Transport.DeclareAsync(new QueueDeclaration(queue, []));
        Assert.Equal(0, await health.CountMessagesAsync(queue));

        await Transport.SendAsync([.. Enumerable.Range(0, 3).Select(_ => new OutgoingMessage(Destination.Queue(queue), TestMessages.Envelope()))]);

        long? count = null;
        await Effects.WaitForAsync(async () => (count = await health.CountMessagesAsync(queue)) == 3, Patience, () => $"the queue counted {count}, not 3");
        Assert.Null(await health.CountMessagesAsync(Unique("nowhere")));
    }

    [Fact]
    public async Task Queue_statistics_say_what_waits_what_is_in_flight_and_how_many_are_dead_letters()
    {
        var queue = Unique("measured");
        var statistics = Assert.IsAssignableFrom<Tidings.Operations.IQueueStatistics>(Transport);
        await Transport.DeclareAsync(new QueueDeclaration(queue, []));
        await Transport.SendAsync([.. Enumerable.Range(0, 3).Select(_ => new OutgoingMessage(Destination.Queue(queue), TestMessages.Envelope()))]);

        // One at a time (a prefetch of one, where the broker pushes): one dead-lettered, then one held in flight.
        await using var receiver = Transport.CreateReceiver(queue, new ReceiverSettings(TimeSpan.FromSeconds(30), Prefetch: 1));
        var failed = Assert.Single(await receiver.ReceiveWithin(Patience, 1));
        await receiver.SettleAsync([Settlement.DeadLetter(failed)]);
        Assert.Single(await receiver.ReceiveWithin(Patience, 1));

        Tidings.Operations.QueueStatistics? measured = null;
        await Effects.WaitForAsync(async () =>
            (measured = (await statistics.GetQueueStatisticsAsync([queue, Unique("nowhere")])).SingleOrDefault()) is { Depth: 1, DeadLetters: 1, InFlight: 1 or null },
            Patience, () => $"measured {measured}");
        Assert.Equal(queue, measured!.Queue);
        Assert.True(measured.Consumers is null or 1, $"consumers {measured.Consumers}");
        Assert.True(measured.OldestAge is null || measured.OldestAge >= TimeSpan.Zero);
        Assert.Empty(await statistics.GetQueueStatisticsAsync([Unique("nowhere")]));
        if (statistics.CanListQueues)
        {
            var all = await statistics.GetQueueStatisticsAsync([]);
            Assert.Contains(all, q => q.Queue == queue);
            Assert.DoesNotContain(all, q => q.Queue.EndsWith(DeadLetterQueues.Suffix, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_message_given_no_correlation_correlates_with_its_own_id_which_travels_once()
    {
        var queue = Unique("first");
        await Transport.DeclareAsync(new QueueDeclaration(queue, []));
        var sent = new Envelope { MessageId = Envelope.NewMessageId(), MessageName = "test.first", SentAt = DateTimeOffset.UtcNow, Body = Array.Empty<byte>() };
        Assert.Null(sent.CorrelationIdToCarry);

        await Transport.SendAsync([new OutgoingMessage(Destination.Queue(queue), sent)]);
        await using var receiver = Transport.CreateReceiver(queue, Settings);
        var received = Assert.Single(await receiver.ReceiveWithin(Patience)).Envelope;

        Assert.Equal(sent.MessageId.ToString(), received.CorrelationId);
        Assert.Null(received.CorrelationIdToCarry);
    }

    [Fact]
    public async Task Empty_texts_arrive_empty_not_missing()
    {
        var queue = Unique("empty");
        await Transport.DeclareAsync(new QueueDeclaration(queue, []));
        var sent = new Envelope
        {
            MessageId = Envelope.NewMessageId(),
            MessageName = "test.empty",
            CorrelationId = "",
            CausationId = "",
            ContentType = "",
            SentAt = DateTimeOffset.UtcNow,
            Headers = new Dictionary<string, string>(StringComparer.Ordinal) { ["x-empty"] = "" },
            Body = Array.Empty<byte>(),
        };

        await Transport.SendAsync([new OutgoingMessage(Destination.Queue(queue), sent)]);
        await using var receiver = Transport.CreateReceiver(queue, Settings);
        var received = Assert.Single(await receiver.ReceiveWithin(Patience)).Envelope;

        Assert.Equal("", received.CorrelationId);
        Assert.Equal("", received.CausationId);
        Assert.Equal("", received.ContentType);
        Assert.Equal("", received.Headers["x-empty"]);
        Assert.Equal(0, received.Body.Length);
    }

    [Fact]
    public async Task A_published_message_reaches_every_subscribed_queue_and_no_other()
    {
        var topic = Unique("order-placed");
        var (barista, rewards, unrelated) = (Unique("barista"), Unique("rewards"), Unique("unrelated"));
        await Transport.DeclareAsync(new QueueDeclaration(barista, [topic]));
        await Transport.DeclareAsync(new QueueDeclaration(rewards, [topic]));
        await Transport.DeclareAsync(new QueueDeclaration(unrelated, [Unique("other-topic")]));

        var sent = TestMessages.Envelope(topic);
        await Transport.SendAsync([new OutgoingMessage(Destination.Topic(topic), sent)]);

        foreach (var queue in new[] { barista, rewards })
        {
            await using var receiver = Transport.CreateReceiver(queue, Settings);
            var received = Assert.Single(await receiver.ReceiveWithin(Patience));
            Assert.Equal(sent.MessageId, received.Envelope.MessageId);
            await receiver.SettleAsync([Settlement.Ack(received)]);
        }

        // A marker sent to the unrelated queue afterwards is the first thing in it: nothing of the topic came before it.
        await using var other = Transport.CreateReceiver(unrelated, Settings);
        await AssertOnlyMarkerAsync(unrelated, other);
    }

    [Fact]
    public async Task A_send_to_an_undeclared_queue_fails_and_nothing_of_the_batch_is_sent()
    {
        var queue = Unique("known");
        await Transport.DeclareAsync(new QueueDeclaration(queue, []));

        await Assert.ThrowsAsync<UnroutableMessageException>(() => Transport.SendAsync(
        [
            new OutgoingMessage(Destination.Queue(queue), TestMessages.Envelope()),
            new OutgoingMessage(Destination.Queue(Unique("nobody")), TestMessages.Envelope()),
        ]));

        await using var receiver = Transport.CreateReceiver(queue, Settings);
        await AssertOnlyMarkerAsync(queue, receiver);
    }

    [Fact]
    public async Task An_event_nobody_subscribes_to_is_accepted_and_delivered_nowhere()
    {
        var queue = Unique("bystander");
        await Transport.DeclareAsync(new QueueDeclaration(queue, [Unique("other-topic")]));

        await Transport.SendAsync([new OutgoingMessage(Destination.Topic(Unique("no-subscribers")), TestMessages.Envelope())]);

        await using var receiver = Transport.CreateReceiver(queue, Settings);
        await AssertOnlyMarkerAsync(queue, receiver);
    }

    [Fact]
    public async Task Messages_from_one_sender_arrive_in_order()
    {
        var queue = Unique("ordered");
        await Transport.DeclareAsync(new QueueDeclaration(queue, []));
        for (var i = 0; i < 20; i++)
        {
            await Transport.SendAsync([new OutgoingMessage(Destination.Queue(queue), TestMessages.Envelope(body: i.ToString()))]);
        }

        await using var receiver = Transport.CreateReceiver(queue, Settings);
        var all = await receiver.DrainAsync(20, Patience);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => i.ToString()), all.Select(m => m.BodyText()));
    }

    [Fact]
    public async Task A_receive_takes_no_more_than_asked()
    {
        var queue = Unique("batch");
        await Transport.DeclareAsync(new QueueDeclaration(queue, []));
        await Transport.SendAsync(Enumerable.Range(0, 10).Select(_ => new OutgoingMessage(Destination.Queue(queue), TestMessages.Envelope())).ToList());

        await using var receiver = Transport.CreateReceiver(queue, Settings);
        var batches = new List<int>();
        var deadline = DateTime.UtcNow + Patience;
        while (batches.Sum() < 10 && DateTime.UtcNow < deadline)
        {
            var batch = await receiver.ReceiveWithin(Patience, max: 3);
            batches.Add(batch.Count);
            await receiver.SettleAsync(batch.Select(Settlement.Ack).ToList());
        }

        // A pushing broker may hand over fewer than are queued; no transport may hand over more than asked.
        Assert.Equal(10, batches.Sum());
        Assert.All(batches, count => Assert.InRange(count, 1, 3));
    }

    [Fact]
    public async Task Competing_consumers_on_two_connections_share_the_queue_without_duplicates()
    {
        const int count = 300;
        var queue = Unique("competing");
        await Transport.DeclareAsync(new QueueDeclaration(queue, []));
        await using var second = Fixture.Connect();
        await using var first = Transport.CreateReceiver(queue, Settings);
        await using var other = second.CreateReceiver(queue, Settings);

        var sent = Enumerable.Range(0, count).Select(_ => new OutgoingMessage(Destination.Queue(queue), TestMessages.Envelope())).ToList();
        var sending = Task.Run(async () =>
        {
            foreach (var chunk in sent.Chunk(25))
            {
                await Transport.SendAsync(chunk);
            }
        });

        var seen = new System.Collections.Concurrent.ConcurrentBag<(int Consumer, Guid Id)>();
        async Task Consume(IMessageReceiver receiver, int consumer)
        {
            var deadline = DateTime.UtcNow + Patience;
            while (seen.Count < count && DateTime.UtcNow < deadline)
            {
                var batch = await receiver.ReceiveWithin(TimeSpan.FromMilliseconds(200), 7);
                foreach (var message in batch)
                {
                    seen.Add((consumer, message.Envelope.MessageId));
                }

                await receiver.SettleAsync(batch.Select(Settlement.Ack).ToList());
            }
        }

        await Task.WhenAll(sending, Consume(first, 1), Consume(other, 2));

        Assert.Equal(count, seen.Count);
        Assert.Equal(sent.Select(m => m.Envelope.MessageId).Order(), seen.Select(s => s.Id).Order());
    }

    [Fact]
    public async Task A_retried_message_comes_back_after_its_delay_with_its_updated_headers()
    {
        var queue = Unique("retry");
        await Transport.DeclareAsync(new QueueDeclaration(queue, []));
        await Transport.SendAsync([new OutgoingMessage(Destination.Queue(queue), TestMessages.Envelope())]);
        await using var receiver = Transport.CreateReceiver(queue, Settings);

        var first = Assert.Single(await receiver.ReceiveWithin(Patience));
        first.Envelope.Headers["tidings-redeliveries"] = "1";
        var retriedAt = DateTimeOffset.UtcNow;
        await receiver.SettleAsync([Settlement.Retry(first, TimeSpan.FromSeconds(1.5))]);

        // Not before its delay: a slow machine only makes the wait longer.
        var again = Assert.Single(await receiver.ReceiveWithin(Patience));
        Assert.True(DateTimeOffset.UtcNow - retriedAt >= TimeSpan.FromSeconds(1.45), "redelivered before its delay");
        Assert.Equal(first.Envelope.MessageId, again.Envelope.MessageId);
        Assert.Equal("1", again.Envelope.Headers["tidings-redeliveries"]);
        Assert.Equal(2, again.DeliveryCount);
        Assert.Equal(0, again.AbandonedDeliveries);
    }

    [Fact]
    public async Task A_dead_lettered_message_leaves_the_queue_for_its_dead_letter_queue_with_its_reason()
    {
        var queue = Unique("poison");
        await Transport.DeclareAsync(new QueueDeclaration(queue, []));
        await Transport.SendAsync([new OutgoingMessage(Destination.Queue(queue), TestMessages.Envelope())]);
        await using var receiver = Transport.CreateReceiver(queue, Settings);

        var message = Assert.Single(await receiver.ReceiveWithin(Patience));
        message.Envelope.Headers[TidingsHeaders.DeadLetterReason] = "handler-failed";
        await receiver.SettleAsync([Settlement.DeadLetter(message)]);

        // A receiver on another connection: a broker hands back what a closed channel held, so a message left behind
        // would come before the marker.
        await receiver.DisposeAsync();
        var other = Fixture.Connect();
        await using (var fresh = other.CreateReceiver(queue, Settings))
        {
            await AssertOnlyMarkerAsync(queue, fresh);
        }
        await using var deadLetters = Transport.CreateReceiver(DeadLetterQueues.For(queue), Settings);
        var dead = Assert.Single(await deadLetters.ReceiveWithin(Patience));
        Assert.Equal(message.Envelope.MessageId, dead.Envelope.MessageId);
        Assert.Equal("handler-failed", dead.Envelope.Headers[TidingsHeaders.DeadLetterReason]);
    }

    [Fact]
    public async Task A_delayed_message_is_not_delivered_before_its_time()
    {
        var queue = Unique("delayed");
        await Transport.DeclareAsync(new QueueDeclaration(queue, []));
        var sentAt = DateTimeOffset.UtcNow;
        await Transport.SendAsync([new OutgoingMessage(Destination.Queue(queue), TestMessages.Envelope(), sentAt.AddMilliseconds(800))]);
        await using var receiver = Transport.CreateReceiver(queue, Settings);

        var received = Assert.Single(await receiver.ReceiveWithin(Patience));
        Assert.True(DateTimeOffset.UtcNow >= sentAt.AddMilliseconds(790), "delivered before its time");
        Assert.Equal(1, received.DeliveryCount);
    }

    [Fact]
    public async Task The_messages_of_a_consumer_that_died_come_back_to_another_consumer()
    {
        var queue = Unique("lease");
        await Transport.DeclareAsync(new QueueDeclaration(queue, []));
        await Transport.SendAsync([new OutgoingMessage(Destination.Queue(queue), TestMessages.Envelope())]);

        // The first consumer takes the message and dies: it never settles, never renews.
        var dying = Fixture.Connect();
        var dead = dying.CreateReceiver(queue, new ReceiverSettings(TimeSpan.FromSeconds(2)));
        var beforeLease = DateTimeOffset.UtcNow; // the lease begins after this, so the gap below can only be longer
        var taken = Assert.Single(await dead.ReceiveWithin(Patience));
        await dead.DisposeAsync();

        await using var survivor = Transport.CreateReceiver(queue, Settings);
        var again = Assert.Single(await survivor.ReceiveWithin(Patience));
        if (Fixture.AbandonedMessagesReturn == AbandonedMessagesReturn.AfterLease)
        {
            // Not before the dead consumer's lease ran out: a slow machine only makes the wait longer.
            Assert.True(DateTimeOffset.UtcNow - beforeLease >= TimeSpan.FromSeconds(1.95), "came back before the lease ran out");
        }

        Assert.Equal(taken.Envelope.MessageId, again.Envelope.MessageId);
        Assert.Equal(2, again.DeliveryCount);
        Assert.Equal(1, again.AbandonedDeliveries);

        // A late ack from the dead consumer must not remove the message the survivor now holds.
        await using (var late = dying.CreateReceiver(queue, Settings))
        {
            await late.SettleAsync([Settlement.Ack(taken)]);
        }

        await survivor.SettleAsync([Settlement.Retry(again, TimeSpan.Zero)]);
        Assert.Single(await survivor.ReceiveWithin(Patience));
        await dying.DisposeAsync();
    }

    /// <summary>
    /// Sends a marker to <paramref name="queue"/> and receives: the marker must be all there is. Messages of one sender
    /// arrive in order, so anything sent to the queue before it would come first; no waiting for "nothing" is needed.
    /// </summary>
    private async Task AssertOnlyMarkerAsync(string queue, IMessageReceiver receiver)
    {
        var marker = TestMessages.Envelope(body: "\"marker\"");
        await Transport.SendAsync([new OutgoingMessage(Destination.Queue(queue), marker)]);
        var received = Assert.Single(await receiver.ReceiveWithin(Patience));
        Assert.Equal(marker.MessageId, received.Envelope.MessageId);
        await receiver.SettleAsync([Settlement.Ack(received)]);
    }
}
