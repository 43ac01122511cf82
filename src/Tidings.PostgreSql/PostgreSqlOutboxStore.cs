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
    private const string Columns = OutgoingColumns.Names;

    /// <inheritdoc />
    public Task<IReadOnlyList<OutboxEntry>> AddAsync(StoreTransaction transaction, IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken = default) =>
        AddAndRemoveAsync(transaction, messages, [], cancellationToken);

    /// <inheritdoc />
    /// <remarks>One round trip, two statements: one insert for all the messages, one delete for the sent ones.</remarks>
    public async Task<IReadOnlyList<OutboxEntry>> AddAndRemoveAsync(
        StoreTransaction transaction, IReadOnlyList<OutgoingMessage> messages, IReadOnlyList<OutboxEntry> sent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(sent);
        var connection = (NpgsqlConnection)transaction.Connection;
        var batch = new NpgsqlBatch(connection, (NpgsqlTransaction)transaction.Transaction);
        await using var batchScope = batch.ConfigureAwait(false);
        if (messages.Count > 0)
        {
            batch.BatchCommands.Add(InsertAll(messages));
        }

        // After the insert, so the reader meets its results first: what other stores deferred to the commit, and the
        // delete of the sent messages.
        var deferred = DeferredWrites.MoveInto(transaction, batch);
        if (sent.Count > 0)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(Delete) { Parameters = { new NpgsqlParameter<long[]> { TypedValue = Sequences(sent) } } });
        }

        if (batch.BatchCommands.Count == 0)
        {
            return [];
        }

        var sequences = new List<long>(messages.Count);
        var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (messages.Count > 0 && await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                sequences.Add(reader.GetInt64(0));
            }

            // Through every statement's results, so that each one's count of changed rows is known.
            while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false))
            {
            }
        }

        DeferredWrites.Check(deferred);

        // One statement numbers its rows in the order it inserts them, which ORDER BY ord makes the order given;
        // RETURNING promises no order, so the numbers are sorted back into it.
        sequences.Sort();
        if (sequences.Count != messages.Count)
        {
            throw new InvalidOperationException(
                $"The outbox insert returned {sequences.Count} positions for {messages.Count} messages; the transaction is not committed.");
        }

        var entries = new OutboxEntry[messages.Count];
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i] = new OutboxEntry(sequences[i], messages[i]);
        }

        return entries;
    }

    /// <summary>All the messages in one statement: an array per column, unnested in order.</summary>
    private NpgsqlBatchCommand InsertAll(IReadOnlyList<OutgoingMessage> messages)
    {
        var n = messages.Count;
        var (kinds, destinations, deliverAt, ids, names) = (new short[n], new string[n], new DateTime?[n], new Guid[n], new string[n]);
        var (correlations, causations, sentAt, contentTypes, headers, bodies) = (new string?[n], new string?[n], new DateTime[n], new string[n], new string[n], new byte[n][]);
        for (var i = 0; i < n; i++)
        {
            var (message, envelope) = (messages[i], messages[i].Envelope);
            kinds[i] = (short)message.Destination.Kind;
            destinations[i] = message.Destination.Name;
            deliverAt[i] = message.DeliverAt?.UtcDateTime;
            ids[i] = envelope.MessageId;
            names[i] = envelope.MessageName;
            correlations[i] = envelope.CorrelationIdToCarry;
            causations[i] = envelope.CausationId;
            sentAt[i] = envelope.SentAt.UtcDateTime;
            contentTypes[i] = envelope.ContentType;
            headers[i] = JsonSerializer.Serialize(envelope.Headers);
            bodies[i] = envelope.Body.ToArray();
        }

        // The committer's reservation runs from the insert (clock_timestamp), not from the start of a transaction that may
        // have handled a whole batch first (now()).
        return new NpgsqlBatchCommand($"""
            INSERT INTO {store.QuotedSchema}.outbox ({Columns}, claimed_until)
            SELECT kind, destination, deliver_at, message_id, message_name, correlation_id, causation_id, sent_at, content_type, headers::jsonb, body, clock_timestamp() + $12
            FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                WITH ORDINALITY AS m(kind, destination, deliver_at, message_id, message_name, correlation_id, causation_id, sent_at, content_type, headers, body, ord)
            ORDER BY ord
            RETURNING seq
            """)
        {
            Parameters =
            {
                new NpgsqlParameter<short[]> { TypedValue = kinds },
                new NpgsqlParameter<string[]> { TypedValue = destinations },
                new NpgsqlParameter { Value = deliverAt, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz },
                new NpgsqlParameter<Guid[]> { TypedValue = ids },
                new NpgsqlParameter<string[]> { TypedValue = names },
                new NpgsqlParameter { Value = correlations, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
                new NpgsqlParameter { Value = causations, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
                new NpgsqlParameter { Value = sentAt, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz },
                new NpgsqlParameter<string[]> { TypedValue = contentTypes },
                new NpgsqlParameter<string[]> { TypedValue = headers },
                new NpgsqlParameter { Value = bodies, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea },
                new NpgsqlParameter<TimeSpan> { TypedValue = store.Options.ClaimDuration },
            },
        };
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
            RETURNING seq, {Columns}, attempts
            """, connection);
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = maxMessages });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = store.Options.ClaimDuration });
        var entries = new List<OutboxEntry>();
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            entries.Add(new OutboxEntry(reader.GetInt64(0), OutgoingColumns.Read(reader, 1)) { Attempts = reader.GetInt32(12) });
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
        // The notification goes out with the update's commit: every instance's relay looks at once.
        var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand($"UPDATE {store.QuotedSchema}.outbox SET claimed_until = '-infinity' WHERE seq = ANY($1)")
                {
                    Parameters = { new NpgsqlParameter<long[]> { TypedValue = Sequences(entries) } },
                },
                new NpgsqlBatchCommand("SELECT pg_notify($1, '')") { Parameters = { new NpgsqlParameter<string> { TypedValue = store.OutboxReleases.Channel } } },
            },
        };
        await using var batchScope = batch.ConfigureAwait(false);
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>
    /// The reservation of a parked message runs until its next try: every instance's relay keeps off it until then. The
    /// wait is computed from each row's own attempt count (the SET sees the count before the increment).
    /// </remarks>
    public async Task ParkAsync(IReadOnlyList<OutboxEntry> entries, string reason, OutboxBackoff backoff, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            return;
        }

        var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        var command = new NpgsqlCommand($"""
            UPDATE {store.QuotedSchema}.outbox
            SET attempts = attempts + 1, last_error = $2, claimed_until = now() + least($4, $3 * power(2, least(attempts, 30)))
            WHERE seq = ANY($1)
            """, connection)
        {
            Parameters =
            {
                new NpgsqlParameter<long[]> { TypedValue = Sequences(entries) },
                new NpgsqlParameter<string> { TypedValue = reason },
                new NpgsqlParameter<TimeSpan> { TypedValue = backoff.FirstDelay },
                new NpgsqlParameter<TimeSpan> { TypedValue = backoff.MaxDelay },
            },
        };
        await using var commandScope = command.ConfigureAwait(false);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<ParkedMessages> CountParkedAsync(CancellationToken cancellationToken = default)
    {
        var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        var command = new NpgsqlCommand($"SELECT count(*), min(sent_at) FROM {store.QuotedSchema}.outbox WHERE attempts > 0", connection);
        await using var commandScope = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var count = reader.GetInt64(0);
        return count == 0 ? ParkedMessages.None : new ParkedMessages(count, reader.GetFieldValue<DateTimeOffset>(1));
    }

    /// <inheritdoc />
    public async Task<OutboxBacklog> MeasureBacklogAsync(CancellationToken cancellationToken = default)
    {
        var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        var command = new NpgsqlCommand($"SELECT count(*), min(sent_at) FROM {store.QuotedSchema}.outbox", connection);
        await using var commandScope = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var count = reader.GetInt64(0);
        return new OutboxBacklog(count, count == 0 ? null : reader.GetFieldValue<DateTimeOffset>(1));
    }

    /// <inheritdoc />
    /// <remarks>PostgreSQL's LISTEN/NOTIFY, on a connection of its own opened when a relay first asks.</remarks>
    public WakeSignal? Released => store.OutboxReleases.Released;

    private string Delete => $"DELETE FROM {store.QuotedSchema}.outbox WHERE seq = ANY($1)";

    private static long[] Sequences(IReadOnlyList<OutboxEntry> entries) => entries.Select(e => e.Sequence).ToArray();
}
