using Microsoft.Data.Sqlite;
using Tidings.Transport;

namespace Tidings.Sqlite;

/// <summary>An outgoing message as columns, shared by the outbox and the schedules tables.</summary>
internal static class OutgoingColumns
{
    public const string Names =
        "destination_kind, destination, deliver_at, message_id, name, correlation_id, causation_id, sent_at, content_type, headers, body";

    /// <summary>Reads the columns of <see cref="Names"/>, starting at <paramref name="first"/>.</summary>
    public static OutgoingMessage Read(SqliteDataReader reader, int first)
    {
        var envelope = new Envelope
        {
            MessageId = Guid.Parse(reader.GetString(first + 3)),
            MessageName = reader.GetString(first + 4),
            CorrelationId = reader.IsDBNull(first + 5) ? null : reader.GetString(first + 5),
            CausationId = reader.IsDBNull(first + 6) ? null : reader.GetString(first + 6),
            SentAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(first + 7)),
            ContentType = reader.GetString(first + 8),
            Headers = HeaderJson.Read(reader.GetString(first + 9)),
            Body = reader.GetFieldValue<byte[]>(first + 10),
        };
        var destination = new Destination((DestinationKind)reader.GetInt32(first), reader.GetString(first + 1));
        DateTimeOffset? deliverAt = reader.IsDBNull(first + 2) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(first + 2));
        return new OutgoingMessage(destination, envelope, deliverAt);
    }
}
