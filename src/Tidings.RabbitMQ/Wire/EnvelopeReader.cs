using System.Text;
using RabbitMQ.Client;

namespace Tidings.RabbitMQ.Wire;

/// <summary>Turns an AMQP delivery back into an envelope, and reads the transport's bookkeeping headers.</summary>
internal static class EnvelopeReader
{
    private static readonly long MinUnixMs = DateTimeOffset.MinValue.ToUnixTimeMilliseconds();
    private static readonly long MaxUnixMs = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    /// <summary>
    /// The envelope of a delivery, or, if its properties cannot be read (a Tidings header with a value of the wrong kind,
    /// say), an envelope with what could be read and the body intact, and the error: the pipeline dead-letters it as
    /// <c>unreadable</c>, nothing is lost.
    /// </summary>
    public static (Envelope Envelope, Exception? Error) ReadOrQuarantine(IReadOnlyBasicProperties properties, ReadOnlyMemory<byte> body)
    {
        try
        {
            return (Read(properties, body), null);
        }
#pragma warning disable CA1031 // Any failure to read must still leave the message in Tidings' hands.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            var envelope = new Envelope
            {
                MessageId = ForeignMessageIds.From(properties.MessageId) ?? Envelope.NewMessageId(),
                MessageName = properties.Type ?? "",
                CorrelationId = properties.CorrelationId,
                SentAt = DateTimeOffset.UtcNow,
                ContentType = properties.ContentType ?? "",
                Headers = Readable(properties.Headers),
                Body = body.ToArray(),
            };
            return (envelope, ex);
        }
    }

    /// <summary>
    /// The envelope of a delivery. The body is copied: the client reuses its buffer once the delivery handler returns.
    /// </summary>
    public static Envelope Read(IReadOnlyBasicProperties properties, ReadOnlyMemory<byte> body)
    {
        Dictionary<string, string>? headers = null;
        string? causationId = null;
        long? sentAtMs = null;
        switch (properties.Headers)
        {
            // The client's own type: enumerated without boxing an enumerator.
            case Dictionary<string, object?> wire:
                foreach (var (name, value) in wire)
                {
                    ReadHeader(name, value, ref headers, ref causationId, ref sentAtMs);
                }

                break;
            case { } wire:
                foreach (var (name, value) in wire)
                {
                    ReadHeader(name, value, ref headers, ref causationId, ref sentAtMs);
                }

                break;
        }

        // A foreign publisher's id that is no GUID maps to the same UUID every time (a redelivery is a duplicate); a
        // message with no id at all gets a fresh one, so that it is handled or dead-lettered, not lost.
        var messageId = ForeignMessageIds.From(properties.MessageId) ?? Envelope.NewMessageId();

        // Without the header, Tidings' own messages carry sent-at in their UUIDv7 id, to the millisecond, and in the AMQP
        // timestamp to the second: the id is believed when the two agree. Foreign publishers put odd values in the
        // timestamp (milliseconds in the seconds field); out of range means unknown.
        var hasTimestamp = properties.IsTimestampPresent() && properties.Timestamp.UnixTime >= MinUnixMs / 1000 && properties.Timestamp.UnixTime <= MaxUnixMs / 1000;
        if (sentAtMs is null && hasTimestamp && UuidV7Time.TryGetUnixMilliseconds(messageId, out var idMs)
            && Math.DivRem(idMs, 1000).Quotient == properties.Timestamp.UnixTime)
        {
            sentAtMs = idMs;
        }

        var sentAt = sentAtMs is { } ms && ms >= MinUnixMs && ms <= MaxUnixMs
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : hasTimestamp
                ? DateTimeOffset.FromUnixTimeSeconds(properties.Timestamp.UnixTime)
                : DateTimeOffset.UtcNow;
        return new Envelope
        {
            MessageId = messageId,
            MessageName = properties.Type ?? "",
            CorrelationId = properties.CorrelationId,
            CausationId = causationId,
            SentAt = sentAt,
            ContentType = properties.ContentType ?? "",
            Headers = headers, // none: made only if a step adds one (a retry's count, say)
            Body = body.ToArray(),
        };
    }

    private static void ReadHeader(string name, object? value, ref Dictionary<string, string>? headers, ref string? causationId, ref long? sentAtMs)
    {
        switch (name)
        {
            // Tidings' own fields: a value of another kind is no Tidings message, whatever it claims; it is not guessed at.
            case WireHeaders.CausationId:
                causationId = AsString(value) ?? throw new FormatException($"Header {name} holds a {value?.GetType().Name ?? "null"}, not text.");
                break;
            case WireHeaders.SentAt:
                sentAtMs = AsLong(value) ?? throw new FormatException($"Header {name} holds '{Describe(value)}', not a Unix time in milliseconds.");
                break;
            default:
                if (!WireHeaders.IsTransportHeader(name) && !WireHeaders.IsBrokerHeader(name) && AsString(value) is { } text)
                {
                    (headers ??= new Dictionary<string, string>(StringComparer.Ordinal))[name] = text;
                }

                break;
        }
    }

    /// <summary>
    /// Every header of an unreadable delivery that is text or a number, as text: the sender's headers (trace context,
    /// reply address) and Tidings' own, the one that made it unreadable included, under <c>tidings-unreadable-*</c>.
    /// </summary>
    private static Dictionary<string, string> Readable(IDictionary<string, object?>? wire)
    {
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in wire ?? new Dictionary<string, object?>())
        {
            if (WireHeaders.IsBrokerHeader(name) || (AsString(value) ?? AsLong(value)?.ToString(System.Globalization.CultureInfo.InvariantCulture)) is not { } text)
            {
                continue;
            }

            headers[WireHeaders.IsTransportHeader(name) ? TidingsHeaders.UnreadablePrefix + name["tidings-".Length..] : name] = text;
        }

        return headers;
    }

    /// <summary>Deliveries of earlier copies of this message, as the copy's headers carry them.</summary>
    public static DeliveryHistory CarriedHistory(IReadOnlyBasicProperties properties) => new(
        (int)(Header(properties.Headers, WireHeaders.Deliveries) ?? 0),
        (int)(Header(properties.Headers, WireHeaders.Abandoned) ?? 0));

    /// <summary>Deliveries before this one, and how many of those were abandoned: the carried ones and this copy's returns.</summary>
    public static DeliveryHistory History(DeliveryHistory carried, IReadOnlyBasicProperties properties, bool redelivered)
    {
        // This copy came back this many times: quorum queues count; classic queues only say "at least once".
        var returns = (int)(Header(properties.Headers, WireHeaders.BrokerDeliveryCount) ?? (redelivered ? 1 : 0));
        return new DeliveryHistory(carried.Deliveries + returns, carried.Abandoned + returns);
    }

    /// <summary>Where a delayed message goes and how long it still waits, or null for a message that is not delayed.</summary>
    public static DelayedRoute? Route(IReadOnlyBasicProperties properties, DateTimeOffset now)
    {
        var headers = properties.Headers;
        if (StringHeader(headers, WireHeaders.Destination) is not { } destination)
        {
            return null;
        }

        if (Header(headers, WireHeaders.DelayLeft) is { } left)
        {
            return new DelayedRoute(destination, TimeSpan.FromMilliseconds(Math.Max(0, left)));
        }

        // Delayed by an earlier version, which wrote the due time by its own clock.
        return Header(headers, WireHeaders.DeliverAt) is { } at
            ? new DelayedRoute(destination, TimeSpan.FromMilliseconds(Math.Max(0, at - now.ToUnixTimeMilliseconds())))
            : null;
    }

    public static long? Header(IDictionary<string, object?>? headers, string name) =>
        headers is not null && headers.TryGetValue(name, out var value) ? AsLong(value) : null;

    public static string? StringHeader(IDictionary<string, object?>? headers, string name) =>
        headers is not null && headers.TryGetValue(name, out var value) ? AsString(value) : null;

    private static string Describe(object? value) => AsString(value) ?? value?.GetType().Name ?? "null";

    private static string? AsString(object? value) => value switch
    {
        byte[] bytes => Encoding.UTF8.GetString(bytes),
        string text => text,
        _ => null,
    };

    private static long? AsLong(object? value) => value switch
    {
        long l => l,
        int i => i,
        short s => s,
        byte b => b,
        sbyte sb => sb,
        ushort us => us,
        uint ui => ui,
        ulong ul => (long)ul,
        byte[] bytes when long.TryParse(Encoding.UTF8.GetString(bytes), out var parsed) => parsed,
        _ => null,
    };
}
