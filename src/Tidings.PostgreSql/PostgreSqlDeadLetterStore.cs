using System.Globalization;
using System.Text;
using Npgsql;
using Tidings.DeadLetters;
using Tidings.Stores;
using Tidings.Transport;

namespace Tidings.PostgreSql;

/// <summary>
/// Dead letters in the service's PostgreSQL database (the dead_letters table), moved there from a broker's dead-letter
/// queues. Lists are keyset pages on indexes; groups are one GROUP BY over the group index.
/// </summary>
public sealed class PostgreSqlDeadLetterStore(PostgreSqlStore store, TimeProvider? timeProvider = null) : IDeadLetterStore
{
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    /// <summary>A dead letter's columns from both tables, in the order <see cref="OutgoingColumns.Read"/> reads from column 2.</summary>
    private const string Columns =
        "d.id, d.dead_lettered_at, 0::smallint, d.destination, NULL::timestamptz, d.message_id, d.message_name, c.correlation_id, c.causation_id, c.sent_at, c.content_type, c.headers, c.body";

    private string Table => store.QuotedSchema + ".dead_letters";

    private string Contents => store.QuotedSchema + ".dead_letter_contents";

    private string Joined => $"{Table} d JOIN {Contents} c ON c.id = d.id";

    /// <inheritdoc />
    public async Task IngestAsync(IReadOnlyList<IngestedDeadLetter> deadLetters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(deadLetters);
        if (deadLetters.Count == 0)
        {
            return;
        }

        var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            // One batch is one implicit transaction: all of it is stored, or none.
            var batch = new NpgsqlBatch(connection);
            await using (batch.ConfigureAwait(false))
            {
                foreach (var deadLetter in deadLetters)
                {
                    var row = DeadLetter.Of("", deadLetter.Envelope);
                    var key = row.Group;
                    var command = new NpgsqlBatchCommand($"""
                        WITH d AS (
                            INSERT INTO {Table} (fingerprint, dead_lettered_at, reason, exception_type, user_frame, destination, message_id, message_name)
                            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                            ON CONFLICT (fingerprint) DO NOTHING
                            RETURNING id)
                        INSERT INTO {Contents} (id, correlation_id, causation_id, sent_at, content_type, headers, body)
                        SELECT d.id, $9, $10, $11, $12, $13, $14 FROM d
                        """);
                    command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = deadLetter.Fingerprint });
                    command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = (row.DeadLetteredAt ?? _time.GetUtcNow()).ToUniversalTime() });
                    command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key.Reason });
                    command.Parameters.Add(new NpgsqlParameter { Value = (object?)key.ExceptionType ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
                    command.Parameters.Add(new NpgsqlParameter { Value = (object?)key.UserFrame ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
                    var envelope = deadLetter.Envelope;
                    command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = deadLetter.Endpoint });
                    command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = envelope.MessageId });
                    command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = envelope.MessageName });
                    command.Parameters.Add(new NpgsqlParameter { Value = (object?)envelope.CorrelationIdToCarry ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
                    command.Parameters.Add(new NpgsqlParameter { Value = (object?)envelope.CausationId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
                    command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = envelope.SentAt.ToUniversalTime() });
                    command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = envelope.ContentType });
                    command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = System.Text.Json.JsonSerializer.Serialize(envelope.Headers), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Jsonb });
                    command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = envelope.Body.ToArray() });
                    batch.BatchCommands.Add(command);
                }

                await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    public async Task<DeadLetterPage> ListAsync(DeadLetterQuery query, int limit = 50, string? after = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var command = new NpgsqlCommand();
                // The page is chosen on the narrow table, then joined to the contents of its rows alone.
        var sql = new StringBuilder($"SELECT {Columns} FROM (SELECT id, dead_lettered_at, destination, message_id, message_name FROM {Table}");
        DeadLetterFilter.Where(sql, command.Parameters, query);
        if (after is not null)
        {
            var (at, id) = ParseCursor(after);
            sql.Append(CultureInfo.InvariantCulture, $" AND (dead_lettered_at, id) < (${DeadLetterFilter.Add(command.Parameters, at)}, ${DeadLetterFilter.Add(command.Parameters, id)})");
        }

        var limitParameter = DeadLetterFilter.Add(command.Parameters, limit + 1);
        sql.Append(CultureInfo.InvariantCulture, $" ORDER BY dead_lettered_at DESC, id DESC LIMIT ${limitParameter}) d JOIN {Contents} c ON c.id = d.id");
        sql.Append(" ORDER BY d.dead_lettered_at DESC, d.id DESC");
        command.CommandText = sql.ToString();
        var rows = await ReadAsync(command, cancellationToken).ConfigureAwait(false);
        if (rows.Count <= limit)
        {
            return new DeadLetterPage(rows.Select(r => r.DeadLetter).ToList(), null);
        }

        var last = rows[limit - 1];
        var next = $"{last.At.UtcTicks.ToString(CultureInfo.InvariantCulture)}:{last.DeadLetter.Id}";
        return new DeadLetterPage(rows.Take(limit).Select(r => r.DeadLetter).ToList(), next);
    }

    /// <inheritdoc />
    public async Task<DeadLetter?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var rowId))
        {
            return null;
        }

        var command = new NpgsqlCommand($"SELECT {Columns} FROM {Joined} WHERE d.id = $1") { Parameters = { new NpgsqlParameter<long> { TypedValue = rowId } } };
        return (await ReadAsync(command, cancellationToken).ConfigureAwait(false)).SingleOrDefault().DeadLetter;
    }

    /// <inheritdoc />
    public async Task<long> CountAsync(DeadLetterQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var command = new NpgsqlCommand();
        var sql = new StringBuilder($"SELECT count(*) FROM {Table}");
        DeadLetterFilter.Where(sql, command.Parameters, query);
        command.CommandText = sql.ToString();
        var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        await using (command.ConfigureAwait(false))
        {
            command.Connection = connection;
            return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<FailureGroup>> GroupsAsync(DeadLetterQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var command = new NpgsqlCommand();
        // Grouped by endpoint too (a DISTINCT aggregate of the endpoints would sort every row), then merged below.
        var sql = new StringBuilder($"SELECT reason, exception_type, user_frame, count(*), min(dead_lettered_at), max(dead_lettered_at), destination FROM {Table}");
        DeadLetterFilter.Where(sql, command.Parameters, query);
        sql.Append(" GROUP BY destination, reason, exception_type, user_frame");
        command.CommandText = sql.ToString();
        var parts = await QueryAsync(command, reader => (
            Key: new FailureGroupKey(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2)),
            Count: reader.GetInt64(3), First: reader.GetFieldValue<DateTimeOffset>(4), Last: reader.GetFieldValue<DateTimeOffset>(5),
            Endpoint: reader.GetString(6)), cancellationToken).ConfigureAwait(false);
        return parts
            .GroupBy(p => p.Key)
            .Select(g => new FailureGroup(g.Key, g.Sum(p => p.Count), g.Min(p => p.First), g.Max(p => p.Last),
                g.Select(p => p.Endpoint).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList()))
            .OrderByDescending(g => g.Count)
            .ThenBy(g => g.Id, StringComparer.Ordinal)
            .ToList();
    }

    /// <inheritdoc />
    public async Task<long> LastIdAsync(CancellationToken cancellationToken = default)
    {
        var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var command = new NpgsqlCommand($"SELECT coalesce(max(id), 0) FROM {Table}", connection);
            await using (command.ConfigureAwait(false))
            {
                return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            }
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<TakenDeadLetter>> TakeAsync(
        StoreTransaction transaction, DeadLetterSelection selection, long afterId, long upToId, int max, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(selection);
        var command = new NpgsqlCommand { Connection = (NpgsqlConnection)transaction.Connection, Transaction = (NpgsqlTransaction)transaction.Transaction };
        var sql = new StringBuilder($"WITH d AS (DELETE FROM {Table} WHERE id IN (SELECT id FROM {Table}");
        if (selection.Query is { } query)
        {
            DeadLetterFilter.Where(sql, command.Parameters, query);
        }
        else
        {
            var ids = selection.Ids!.Select(i => long.TryParse(i, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1).Where(n => n > 0).ToArray();
            sql.Append(CultureInfo.InvariantCulture, $" WHERE id = ANY(${DeadLetterFilter.Add(command.Parameters, ids)})");
        }

        // SKIP LOCKED: two replays at once each take rows the other has not, rather than waiting to find them gone.
        sql.Append(CultureInfo.InvariantCulture, $" AND id > ${DeadLetterFilter.Add(command.Parameters, afterId)} AND id <= ${DeadLetterFilter.Add(command.Parameters, upToId)} ORDER BY id LIMIT ${DeadLetterFilter.Add(command.Parameters, max)} FOR UPDATE SKIP LOCKED)");
        sql.Append(" RETURNING *), c AS (DELETE FROM ").Append(Contents).Append(" WHERE id IN (SELECT id FROM d) RETURNING *)");
        sql.Append(" SELECT ").Append(Columns).Append(" FROM d JOIN c ON c.id = d.id");
        command.CommandText = sql.ToString();
        return await QueryAsync(command, reader =>
        {
            var message = OutgoingColumns.Read(reader, 2);
            return new TakenDeadLetter(reader.GetInt64(0), message.Destination.Name, message.Envelope);
        }, cancellationToken).ConfigureAwait(false);
    }

    private Task<List<(DeadLetter DeadLetter, DateTimeOffset At)>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken) =>
        QueryAsync(command, reader =>
        {
            var message = OutgoingColumns.Read(reader, 2);
            var id = reader.GetInt64(0).ToString(CultureInfo.InvariantCulture);
            return (new DeadLetter(id, message.Destination.Name, message.Envelope), reader.GetFieldValue<DateTimeOffset>(1));
        }, cancellationToken);

    /// <summary>Runs <paramref name="command"/> (on a connection of its own unless it has one, a transaction's) and maps each row.</summary>
    private async Task<List<T>> QueryAsync<T>(NpgsqlCommand command, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken)
    {
        var rows = new List<T>();
        var own = command.Connection is null ? await store.OpenAsync(cancellationToken).ConfigureAwait(false) : null;
        try
        {
            await using (command.ConfigureAwait(false))
            {
                command.Connection ??= own;
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        rows.Add(read(reader));
                    }
                }
            }
        }
        finally
        {
            if (own is not null)
            {
                await own.DisposeAsync().ConfigureAwait(false);
            }
        }

        return rows;
    }

    private static (DateTimeOffset At, long Id) ParseCursor(string cursor)
    {
        var colon = cursor.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0
            && long.TryParse(cursor.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            && ticks <= DateTimeOffset.MaxValue.UtcTicks
            && long.TryParse(cursor.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            return (new DateTimeOffset(ticks, TimeSpan.Zero), id);
        }

        throw new ArgumentException($"'{cursor}' is not a cursor of this list: pass the Next of the page before.", nameof(cursor));
    }
}
