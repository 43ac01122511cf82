using System.Diagnostics;
using RabbitMQ.Client;
using Tidings.RabbitMQ.Tests.Support;
using Tidings.Transport;
using Tidings.Transport.Contracts;

namespace Tidings.RabbitMQ.Tests.Transport;

public sealed class DelayedDeliveryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_delayed_message_crosses_several_tiers_and_arrives_on_time()
    {
        var queue = "later-" + Guid.NewGuid().ToString("N")[..8];
        await using var transport = new RabbitMqTransport(Broker.Options());
        await transport.DeclareAsync(new QueueDeclaration(queue, []), Ct);
        var sentAt = DateTimeOffset.UtcNow;

        // 1,700 ms: the 1,024, 512, 128 ms tiers, then 36 ms waited out by the forwarder.
        await transport.SendAsync([new OutgoingMessage(Destination.Queue(queue), TestMessages.Envelope(), sentAt.AddMilliseconds(1700))], Ct);
        await using var receiver = transport.CreateReceiver(queue, new ReceiverSettings(TimeSpan.FromSeconds(30)));

        var received = Assert.Single(await receiver.ReceiveWithin(TimeSpan.FromSeconds(15)));
        var late = DateTimeOffset.UtcNow - sentAt.AddMilliseconds(1700);
        Assert.True(late >= TimeSpan.FromMilliseconds(-10), $"delivered {-late.TotalMilliseconds} ms early");
        Assert.True(late < TimeSpan.FromSeconds(2), $"delivered {late.TotalMilliseconds} ms late");
        Assert.Equal(1, received.DeliveryCount);
    }

    [Theory]
    [InlineData(-5)]
    [InlineData(5)]
    public async Task A_delayed_message_from_a_process_whose_clock_is_wrong_arrives_on_time(int minutesOff)
    {
        var queue = "skewed-later-" + Guid.NewGuid().ToString("N")[..8];
        var clock = new ShiftedClock(TimeSpan.FromMinutes(minutesOff));

        // The sender's clock is five minutes wrong and it forwards nothing: the forwarders of the other processes, with
        // right clocks, see its message through the tiers.
        await using var sender = new RabbitMqTransport(Broker.Options() with { RunDelayForwarder = false }, timeProvider: clock);
        await using var transport = new RabbitMqTransport(Broker.Options());
        await transport.DeclareAsync(new QueueDeclaration(queue, []), Ct);
        await using var receiver = transport.CreateReceiver(queue, new ReceiverSettings(TimeSpan.FromSeconds(30)));
        var delay = TimeSpan.FromMilliseconds(1700);

        var started = Stopwatch.GetTimestamp();
        await sender.SendAsync([new OutgoingMessage(Destination.Queue(queue), TestMessages.Envelope(), clock.GetUtcNow() + delay)], Ct);

        Assert.Single(await receiver.ReceiveWithin(TimeSpan.FromSeconds(15)));
        var after = Stopwatch.GetElapsedTime(started);
        Assert.True(after >= delay - TimeSpan.FromMilliseconds(10), $"delivered after {after.TotalMilliseconds} ms, before its {delay.TotalMilliseconds} ms");
        Assert.True(after < delay + TimeSpan.FromSeconds(2), $"delivered after {after.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task A_delayed_message_whose_queue_was_deleted_meanwhile_is_dead_lettered_not_lost()
    {
        var queue = "gone-" + Guid.NewGuid().ToString("N")[..8];
        await using var transport = new RabbitMqTransport(Broker.Options());
        await transport.DeclareAsync(new QueueDeclaration(queue, []), Ct);
        var envelope = TestMessages.Envelope();
        await transport.SendAsync([new OutgoingMessage(Destination.Queue(queue), envelope, DateTimeOffset.UtcNow.AddMilliseconds(700))], Ct);

        var factory = new ConnectionFactory { Uri = Broker.Uri };
        await using (var connection = await factory.CreateConnectionAsync(Ct))
        await using (var channel = await connection.CreateChannelAsync(cancellationToken: Ct))
        {
            await channel.QueueDeleteAsync(queue, cancellationToken: Ct);
        }

        await using var deadLetters = transport.CreateReceiver(DeadLetterQueues.For("tidings.delay.due"), new ReceiverSettings(TimeSpan.FromSeconds(30)));
        ReceivedMessage? dead = null;
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (dead is null && DateTime.UtcNow < deadline)
        {
            foreach (var message in await deadLetters.ReceiveWithin(TimeSpan.FromSeconds(1)))
            {
                if (message.Envelope.MessageId == envelope.MessageId)
                {
                    dead = message;
                    await deadLetters.SettleAsync([Settlement.Ack(message)], Ct);
                }
                else
                {
                    await deadLetters.SettleAsync([Settlement.Retry(message, TimeSpan.Zero)], Ct);
                }
            }
        }

        Assert.NotNull(dead);
        Assert.Equal("delayed-destination-missing", dead.Envelope.Headers[TidingsHeaders.DeadLetterReason]);
        Assert.Contains(queue, dead.Envelope.Headers[TidingsHeaders.ExceptionMessage], StringComparison.Ordinal);
    }
}

/// <summary>The system clock, shifted: a process whose clock is wrong.</summary>
internal sealed class ShiftedClock(TimeSpan offset) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + offset;
}
