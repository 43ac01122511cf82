using System.Text;
using RabbitMQ.Client;
using Tidings.RabbitMQ.Wire;

namespace Tidings.RabbitMQ.Tests.Wire;

/// <summary>The mapping between envelopes and AMQP properties, as the broker hands them back (strings as bytes).</summary>
public sealed class EnvelopeMappingTests
{
    [Fact]
    public void An_envelope_survives_the_trip_through_amqp_properties()
    {
        var sent = new Envelope
        {
            MessageId = Envelope.NewMessageId(),
            MessageName = "coffee.order-placed",
            CorrelationId = "order-7",
            CausationId = "cause-3",
            SentAt = DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_123),
            Headers = new Dictionary<string, string>(StringComparer.Ordinal) { ["traceparent"] = "00-abc-def-01", ["x-custom"] = "yes" },
            Body = Encoding.UTF8.GetBytes("{}"),
        };

        var received = EnvelopeReader.Read(AsDelivered(EnvelopeWriter.Properties(sent, persistent: true)), sent.Body);

        Assert.Equal(sent.MessageId, received.MessageId);
        Assert.Equal(sent.MessageName, received.MessageName);
        Assert.Equal(sent.CorrelationId, received.CorrelationId);
        Assert.Equal(sent.CausationId, received.CausationId);
        Assert.Equal(sent.SentAt, received.SentAt);
        Assert.Equal(sent.Headers, received.Headers);
        Assert.Equal("{}", Encoding.UTF8.GetString(received.Body.Span));
    }

    [Fact]
    public void Transport_and_broker_headers_stay_out_of_the_envelope()
    {
        var envelope = new Envelope { MessageId = Envelope.NewMessageId(), MessageName = "m" };
        var properties = AsDelivered(EnvelopeWriter.Properties(envelope, persistent: true, new DeliveryHistory(2, 1),
            new DelayedRoute("queue:q", TimeSpan.FromMilliseconds(36))));
        properties.Headers!["x-delivery-count"] = 3L;
        properties.Headers["x-first-death-queue"] = "tidings.delay.64ms"u8.ToArray();

        var received = EnvelopeReader.Read(properties, envelope.Body);

        Assert.Empty(received.Headers);
    }

    [Fact]
    public void A_delayed_route_carries_what_is_left_and_the_due_time_earlier_versions_read()
    {
        var envelope = new Envelope { MessageId = Envelope.NewMessageId(), MessageName = "m" };
        var now = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000);
        var current = AsDelivered(EnvelopeWriter.Properties(envelope, persistent: true, delayed: new DelayedRoute("queue:q", TimeSpan.FromMilliseconds(36.2), now.AddSeconds(9))));
        var legacy = AsDelivered(EnvelopeWriter.Properties(envelope, persistent: true));
        legacy.Headers = new Dictionary<string, object?> { ["tidings-deliver-at"] = now.AddMilliseconds(500).ToUnixTimeMilliseconds(), ["tidings-destination"] = "queue:q"u8.ToArray() };

        // Rounded up, so never early; the old due time is turned into a span by the reader's clock, as it was before.
        Assert.Equal(new DelayedRoute("queue:q", TimeSpan.FromMilliseconds(37)), EnvelopeReader.Route(current, now.AddMinutes(5)));

        // The due time still goes along, for the forwarders of earlier versions during an upgrade.
        Assert.Equal(now.AddSeconds(9).ToUnixTimeMilliseconds(), current.Headers!["tidings-deliver-at"]);
        Assert.Equal(new DelayedRoute("queue:q", TimeSpan.FromMilliseconds(500)), EnvelopeReader.Route(legacy, now));
        Assert.Null(EnvelopeReader.Route(AsDelivered(EnvelopeWriter.Properties(envelope, persistent: true)), now));
    }

    [Fact]
    public void Deliveries_count_the_carried_copies_and_the_brokers_returns()
    {
        var envelope = new Envelope { MessageId = Envelope.NewMessageId(), MessageName = "m" };
        var properties = AsDelivered(EnvelopeWriter.Properties(envelope, persistent: true, new DeliveryHistory(3, 1)));
        properties.Headers!["x-delivery-count"] = 2L;

        var carried = EnvelopeReader.CarriedHistory(properties);
        var history = EnvelopeReader.History(carried, properties, redelivered: true);

        Assert.Equal(new DeliveryHistory(3, 1), carried);
        Assert.Equal(new DeliveryHistory(5, 3), history);
    }

    [Fact]
    public void A_classic_queue_redelivery_counts_as_one_abandoned_delivery()
    {
        var properties = AsDelivered(EnvelopeWriter.Properties(new Envelope { MessageId = Guid.NewGuid(), MessageName = "m" }, persistent: true));

        var history = EnvelopeReader.History(EnvelopeReader.CarriedHistory(properties), properties, redelivered: true);

        Assert.Equal(new DeliveryHistory(1, 1), history);
    }

    [Fact]
    public void A_foreign_message_without_an_id_gets_one_rather_than_being_lost()
    {
        var received = EnvelopeReader.Read(new BasicProperties { Type = "m" }, ReadOnlyMemory<byte>.Empty);

        Assert.NotEqual(Guid.Empty, received.MessageId);
        Assert.Equal("m", received.MessageName);
    }

    [Fact]
    public void A_foreign_timestamp_out_of_range_does_not_lose_the_message()
    {
        // Milliseconds where AMQP wants seconds: past DateTimeOffset's range.
        var properties = new BasicProperties { Type = "m", MessageId = Guid.NewGuid().ToString(), Timestamp = new AmqpTimestamp(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000) };

        var (received, error) = EnvelopeReader.ReadOrQuarantine(properties, "{}"u8.ToArray());

        Assert.Null(error);
        Assert.Equal("m", received.MessageName);
        Assert.InRange(received.SentAt, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
    }

    [Fact]
    public void A_tidings_header_with_a_value_of_the_wrong_kind_makes_the_delivery_unreadable_with_its_body_intact()
    {
        var properties = new BasicProperties
        {
            Type = "m", MessageId = "foreign-1",
            Headers = new Dictionary<string, object?> { [WireHeaders.SentAt] = Encoding.UTF8.GetBytes("yesterday"), ["traceparent"] = Encoding.UTF8.GetBytes("00-abc") },
        };

        var (received, error) = EnvelopeReader.ReadOrQuarantine(properties, "{\"a\":1}"u8.ToArray());

        Assert.IsType<FormatException>(error);
        Assert.Contains("yesterday", error.Message, StringComparison.Ordinal);
        Assert.Equal("m", received.MessageName);
        Assert.Equal(ForeignMessageIds.From("foreign-1"), received.MessageId);
        Assert.Equal("{\"a\":1}", Encoding.UTF8.GetString(received.Body.Span));
        Assert.Equal("yesterday", received.Headers[TidingsHeaders.UnreadablePrefix + "sent-at"]);
        Assert.Equal("00-abc", received.Headers["traceparent"]);
    }

    /// <summary>Properties as a consumer sees them: string header values arrive as UTF-8 bytes.</summary>
    private static BasicProperties AsDelivered(BasicProperties sent)
    {
        var headers = sent.Headers!.ToDictionary(h => h.Key, h => h.Value is string text ? (object?)Encoding.UTF8.GetBytes(text) : h.Value);
        return new BasicProperties
        {
            MessageId = sent.MessageId,
            Type = sent.Type,
            CorrelationId = sent.CorrelationId,
            ContentType = sent.ContentType,
            Timestamp = sent.Timestamp,
            Headers = headers,
        };
    }
}
