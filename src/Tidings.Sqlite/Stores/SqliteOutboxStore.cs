using Microsoft.Data.Sqlite;
using Tidings.Stores;
using Tidings.Transport;

namespace Tidings.Sqlite;

/// <summary>The outbox as a table of the service's own SQLite database.</summary>
public sealed class SqliteOutboxStore(SqliteStore store) : IOutboxStore
{
    // One prepared insert per transaction, reused by every message of an effectively-once batch.
    private static readonly object CommandKey = new();
    private static readonly string[] Parameters =
        ["$kind", "$destination", "$deliver_at", "$message_id", "$name", "$correlation_id", "$causation_id", "$sent_at", "$content_type", "$headers", "$body"];

    private const string Insert = """
        INSERT INTO tidings_outbox (destination_kind, destination, deliver_at, message_id, name, correlation_id, causation_id, sent_at, content_type, headers, body)
        VALUES ($kind, $destination, $deliver_at, $message_id, $name, $correlation_id, $causation_id, $sent_at, $content_type, $headers, $body)
        """;

    /// <inheritdoc />
    public Task AddAsync(StoreTransaction transaction, IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(messages);
        var command = transaction.GetOrAdd(CommandKey, static tx =>
        {
            var insert = (SqliteCommand)tx.CreateCommand(Insert);
            foreach (var name in Parameters)
            {
                insert.Parameters.Add(new SqliteParameter { ParameterName = name });
            }

            return insert;
        });
        var p = command.Parameters;

        foreach (var message in messages)
        {
            var envelope = message.Envelope;
            p[0].Value = (int)message.Destination.Kind;
            p[1].Value = message.Destination.Name;
            p[2].Value = message.DeliverAt is { } at ? at.ToUnixTimeMilliseconds() : DBNull.Value;
            p[3].Value = envelope.MessageId.ToString();
            p[4].Value = envelope.MessageName;
            p[5].Value = (object?)envelope.CorrelationId ?? DBNull.Value;
            p[6].Value = (object?)envelope.CausationId ?? DBNull.Value;
            p[7].Value = envelope.SentAt.ToUnixTimeMilliseconds();
            p[8].Value = envelope.ContentType;
            p[9].Value = HeaderJson.Write(envelope.Headers);
            p[10].Value = BodyBytes.Of(envelope.Body);
            command.ExecuteNonQuery();
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<OutboxEntry>> FetchAsync(int maxMessages, CancellationToken cancellationToken = default)
    {
        using var connection = store.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT sequence, destination_kind, destination, deliver_at, message_id, name, correlation_id, causation_id, sent_at, content_type, headers, body
            FROM tidings_outbox ORDER BY sequence LIMIT $max
            """;
        command.Parameters.AddWithValue("$max", maxMessages);
        var entries = new List<OutboxEntry>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var envelope = new Envelope
            {
                MessageId = Guid.Parse(reader.GetString(4)),
                MessageName = reader.GetString(5),
                CorrelationId = reader.IsDBNull(6) ? null : reader.GetString(6),
                CausationId = reader.IsDBNull(7) ? null : reader.GetString(7),
                SentAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(8)),
                ContentType = reader.GetString(9),
                Headers = HeaderJson.Read(reader.GetString(10)),
                Body = reader.GetFieldValue<byte[]>(11),
            };
            var destination = new Destination((DestinationKind)reader.GetInt32(1), reader.GetString(2));
            DateTimeOffset? deliverAt = reader.IsDBNull(3) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3));
            entries.Add(new OutboxEntry(reader.GetInt64(0), new OutgoingMessage(destination, envelope, deliverAt)));
        }

        return Task.FromResult<IReadOnlyList<OutboxEntry>>(entries);
    }

    /// <inheritdoc />
    public Task RemoveAsync(IReadOnlyList<OutboxEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            return Task.CompletedTask;
        }

        var sequences = "[" + string.Join(',', entries.Select(e => e.Sequence)) + "]";
        return store.WriteAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "DELETE FROM tidings_outbox WHERE sequence IN (SELECT value FROM json_each($sequences))";
            command.Parameters.AddWithValue("$sequences", sequences);
            return command.ExecuteNonQuery();
        }, cancellationToken);
    }
}
