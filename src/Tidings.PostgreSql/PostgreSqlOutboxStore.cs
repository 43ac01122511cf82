using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Tidings.Stores;
using Tidings.Transport;

namespace Tidings.PostgreSql;

/// <summary>
/// The outbox as a table of the service's PostgreSQL database. A message is added already reserved for the process
/// that commits it, which sends it right after the commit; the relay of any instance takes only messages whose
/// reservation ran out, claiming them with <c>FOR UPDATE SKIP LOCKED</c>, so two relays never take the same message.
/// </summary>
public sealed class PostgreSqlOutboxStore(PostgreSqlStore store) : IOutboxStore
{
    private const string Columns =
        "destination_kind, destination, deliver_at, message_id, message_name, correlation_id, causation_id, sent_at, content_type, headers, body";

    /// <inheritdoc />
    public Task<IReadOnlyList<OutboxEntry>> AddAsync(StoreTransaction transaction, IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken = default) =>
        AddAndRemoveAsync(transaction, messages, [], cancellationToken);

    /// <inheritdoc />
    /// <remarks>One round trip: the delete and every insert go in one batch.</remarks>
    public async Task<IReadOnlyList<OutboxEntry>> AddAndRemoveAsync(
        StoreTransaction transaction, IReadOnlyList<OutgoingMessage> messages, IReadOnlyList<OutboxEntry> sent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(sent);
        var connection = (NpgsqlConnection)transaction.Connection;
        var batch = new NpgsqlBatch(connection, (NpgsqlTransaction)transaction.Transaction);
        await using var batchScope = batch.ConfigureAwait(false);
        var sql = $"INSERT INTO {store.QuotedSchema}.outbox ({Columns}, claimed_until) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now() + $12) RETURNING seq";
        foreach (var message in messages)
        {
            var command = new NpgsqlBatchCommand(sql);
            var envelope = message.Envelope;
            command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)message.Destination.Kind });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = message.Destination.Name });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)message.DeliverAt?.ToUniversalTime() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = envelope.MessageId });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = envelope.MessageName });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)envelope.CorrelationId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)envelope.CausationId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = envelope.SentAt.ToUniversalTime() });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = envelope.ContentType });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = JsonSerializer.Serialize(envelope.Headers), NpgsqlDbType = NpgsqlDbType.Jsonb });
            command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = envelope.Body.ToArray() });
            command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = store.Options.ClaimDuration });
            batch.BatchCommands.Add(command);
        }

        // Last, so the reader meets the inserts' results first.
        if (sent.Count > 0)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(Delete) { Parameters = { new NpgsqlParameter<long[]> { TypedValue = Sequences(sent) } } });
        }

        if (batch.BatchCommands.Count == 0)
        {
            return [];
        }

        var entries = new OutboxEntry[messages.Count];
        var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        for (var i = 0; i < messages.Count; i++)
        {
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            entries[i] = new OutboxEntry(reader.GetInt64(0), messages[i]);
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        }

        return entries;
    }

    /// <inheritdoc />
    /// <remarks>Claims the oldest unreserved messages for <see cref="PostgreSqlStoreOptions.ClaimDuration"/>: another relay skips them.</remarks>
    public async Task<IReadOnlyList<OutboxEntry>> FetchAsync(int maxMessages, CancellationToken cancellationToken = default)
    {
        var s = store.QuotedSchema;
        var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        var command = new NpgsqlCommand($"""
            UPDATE {s}.outbox SET claimed_until = now() + $2
            WHERE seq IN (SELECT seq FROM {s}.outbox WHERE claimed_until < now() ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED)
            RETURNING seq, {Columns}
            """, connection);
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = maxMessages });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = store.Options.ClaimDuration });
        var entries = new List<OutboxEntry>();
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var envelope = new Envelope
            {
                MessageId = reader.GetGuid(4),
                MessageName = reader.GetString(5),
                CorrelationId = reader.IsDBNull(6) ? null : reader.GetString(6),
                CausationId = reader.IsDBNull(7) ? null : reader.GetString(7),
                SentAt = reader.GetFieldValue<DateTimeOffset>(8),
                ContentType = reader.GetString(9),
                // A string-keyed dictionary compares ordinally by default, as Envelope.Headers does.
                Headers = JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(10)) ?? [],
                Body = reader.GetFieldValue<byte[]>(11),
            };
            var destination = new Destination((DestinationKind)reader.GetInt16(1), reader.GetString(2));
            DateTimeOffset? deliverAt = reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3);
            entries.Add(new OutboxEntry(reader.GetInt64(0), new OutgoingMessage(destination, envelope, deliverAt)));
        }

        // RETURNING keeps no order; the relay sends oldest first.
        entries.Sort((a, b) => a.Sequence.CompareTo(b.Sequence));
        return entries;
    }

    /// <inheritdoc />
    public async Task RemoveAsync(IReadOnlyList<OutboxEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            return;
        }

        var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);

        await using var connectionScope = connection.ConfigureAwait(false);
        var command = new NpgsqlCommand(Delete, connection);
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = Sequences(entries) });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task RemoveAsync(StoreTransaction transaction, IReadOnlyList<OutboxEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            return;
        }

        var command = (NpgsqlCommand)transaction.CreateCommand(Delete);

        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = Sequences(entries) });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>Drops the committer's reservation, so that any instance's relay may send the messages now.</remarks>
    public async Task ReleaseAsync(IReadOnlyList<OutboxEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            return;
        }

        var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        var command = new NpgsqlCommand($"UPDATE {store.QuotedSchema}.outbox SET claimed_until = '-infinity' WHERE seq = ANY($1)", connection);
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = Sequences(entries) });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private string Delete => $"DELETE FROM {store.QuotedSchema}.outbox WHERE seq = ANY($1)";

    private static long[] Sequences(IReadOnlyList<OutboxEntry> entries) => entries.Select(e => e.Sequence).ToArray();
}
