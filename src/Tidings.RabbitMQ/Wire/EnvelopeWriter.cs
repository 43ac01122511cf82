using System.Globalization;
using RabbitMQ.Client;

namespace Tidings.RabbitMQ.Wire;

/// <summary>Turns an envelope into AMQP properties: standard properties where AMQP has them, headers for the rest.</summary>
internal static class EnvelopeWriter
{
    /// <summary>Properties for <paramref name="envelope"/>; <paramref name="persistent"/> false for temporary queues.</summary>
    public static BasicProperties Properties(Envelope envelope, bool persistent, DeliveryHistory history = default, DelayedRoute? delayed = null)
    {
        // Sent-at goes as a header only when the id does not carry it already (an id the caller chose, say): most
        // messages then need no header of Tidings' own, which would be built, sent and parsed for every message.
        var sentAtMs = envelope.SentAt.ToUnixTimeMilliseconds();
        var sentAtInId = UuidV7Time.TryGetUnixMilliseconds(envelope.MessageId, out var idMs) && idMs == sentAtMs;
        var count = (envelope.HasHeaders ? envelope.Headers.Count : 0) + (envelope.CausationId is null ? 0 : 1) + (sentAtInId ? 0 : 1)
            + (history.Deliveries > 0 ? 2 : 0) + (delayed is null ? 0 : 3);
        Dictionary<string, object?>? headers = count == 0 ? null : new(count, StringComparer.Ordinal);
        if (envelope.HasHeaders)
        {
            foreach (var (name, value) in envelope.Headers)
            {
                headers![name] = value;
            }
        }

        if (envelope.CausationId is not null)
        {
            headers![WireHeaders.CausationId] = envelope.CausationId;
        }

        if (!sentAtInId)
        {
            headers![WireHeaders.SentAt] = sentAtMs;
        }

        if (history.Deliveries > 0)
        {
            headers![WireHeaders.Deliveries] = (long)history.Deliveries;
            headers![WireHeaders.Abandoned] = (long)history.Abandoned;
        }

        if (delayed is { } route)
        {
            headers![WireHeaders.DelayLeft] = (long)Math.Ceiling(route.Left.TotalMilliseconds);
            headers![WireHeaders.Destination] = route.Destination;

            // For the forwarders of earlier versions, which read only the due time, while an upgrade is under way.
            headers![WireHeaders.DeliverAt] = route.DueAt.ToUnixTimeMilliseconds();
        }

        return new BasicProperties
        {
            MessageId = envelope.MessageId.ToString("D", CultureInfo.InvariantCulture),
            Type = envelope.MessageName,
            CorrelationId = envelope.CorrelationIdToCarry,
            ContentType = envelope.ContentType,
            Timestamp = new AmqpTimestamp(envelope.SentAt.ToUnixTimeSeconds()),
            DeliveryMode = persistent ? DeliveryModes.Persistent : DeliveryModes.Transient,
            Headers = headers,
        };
    }
}

/// <summary>What earlier deliveries of a message the next copy must remember.</summary>
internal readonly record struct DeliveryHistory(int Deliveries, int Abandoned);

/// <summary>
/// Where a delayed message goes, how long it still waits once the queue it is in lets it go, and when it is due by the
/// publisher's clock (read only by earlier versions).
/// </summary>
internal sealed record DelayedRoute(string Destination, TimeSpan Left, DateTimeOffset DueAt = default);
