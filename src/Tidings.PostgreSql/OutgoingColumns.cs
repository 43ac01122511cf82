using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Tidings.Transport;

namespace Tidings.PostgreSql;

/// <summary>An outgoing message as columns, shared by the outbox and the schedules tables.</summary>
internal static class OutgoingColumns
{
    public const string Names =
        "destination_kind, destination, deliver_at, message_id, message_name, correlation_id, causation_id, sent_at, content_type, headers, body";

    /// <summary>The columns of <see cref="Names"/> as a table defines them (the outbox and schedules tables).</summary>
    public const string Definitions = """
        destination_kind smallint    NOT NULL,
                        destination      text        NOT NULL,
                        deliver_at       timestamptz NULL,
                        message_id       uuid        NOT NULL,
                        message_name     text        NOT NULL,
                        correlation_id   text        NULL,
                        causation_id     text        NULL,
                        sent_at          timestamptz NOT NULL,
                        content_type     text        NOT NULL,
                        headers          jsonb       NOT NULL,
                        body             bytea       NOT NULL
        """;

    /// <summary>The message's values as parameters, in the order of <see cref="Names"/>.</summary>
    public static void Add(NpgsqlParameterCollection parameters, OutgoingMessage message)
    {
        var envelope = message.Envelope;
        parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)message.Destination.Kind });
        parameters.Add(new NpgsqlParameter<string> { TypedValue = message.Destination.Name });
        parameters.Add(new NpgsqlParameter { Value = (object?)message.DeliverAt?.ToUniversalTime() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        parameters.Add(new NpgsqlParameter<Guid> { TypedValue = envelope.MessageId });
        parameters.Add(new NpgsqlParameter<string> { TypedValue = envelope.MessageName });
        parameters.Add(new NpgsqlParameter { Value = (object?)envelope.CorrelationIdToCarry ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        parameters.Add(new NpgsqlParameter { Value = (object?)envelope.CausationId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = envelope.SentAt.ToUniversalTime() });
        parameters.Add(new NpgsqlParameter<string> { TypedValue = envelope.ContentType });
        parameters.Add(new NpgsqlParameter<string> { TypedValue = JsonSerializer.Serialize(envelope.Headers), NpgsqlDbType = NpgsqlDbType.Jsonb });
        parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = envelope.Body.ToArray() });
    }

    /// <summary>Reads the columns of <see cref="Names"/>, starting at <paramref name="first"/>.</summary>
    public static OutgoingMessage Read(NpgsqlDataReader reader, int first)
    {
        var envelope = new Envelope
        {
            MessageId = reader.GetGuid(first + 3),
            MessageName = reader.GetString(first + 4),
            CorrelationId = reader.IsDBNull(first + 5) ? null : reader.GetString(first + 5),
            CausationId = reader.IsDBNull(first + 6) ? null : reader.GetString(first + 6),
            SentAt = reader.GetFieldValue<DateTimeOffset>(first + 7),
            ContentType = reader.GetString(first + 8),
            // A string-keyed dictionary compares ordinally by default, as Envelope.Headers does.
            Headers = JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(first + 9)) ?? [],
            Body = reader.GetFieldValue<byte[]>(first + 10),
        };
        var destination = new Destination((DestinationKind)reader.GetInt16(first), reader.GetString(first + 1));
        DateTimeOffset? deliverAt = reader.IsDBNull(first + 2) ? null : reader.GetFieldValue<DateTimeOffset>(first + 2);
        return new OutgoingMessage(destination, envelope, deliverAt);
    }
}
