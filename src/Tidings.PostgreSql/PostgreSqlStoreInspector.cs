using Npgsql;
using Tidings.Operations;
using Tidings.Stores;

namespace Tidings.PostgreSql;

/// <summary><see cref="IStoreInspector"/> over the service's own PostgreSQL schema: Tidings' tables read and, for parked messages, changed.</summary>
internal sealed class PostgreSqlStoreInspector(PostgreSqlStore store) : IStoreInspector
{
    public async Task<StoreStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default)
    {
        var s = store.QuotedSchema;
        var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand($"SELECT count(*), min(sent_at) FROM {s}.outbox"),
                new NpgsqlBatchCommand($"SELECT count(*), min(sent_at) FROM {s}.outbox WHERE attempts > 0"),
                new NpgsqlBatchCommand($"SELECT count(*) FILTER (WHERE due_at <= now()), count(*) FILTER (WHERE due_at > now()) FROM {s}.schedules"),
                new NpgsqlBatchCommand($"SELECT saga_name, data->>'status', count(*) FROM {s}.sagas GROUP BY 1, 2 ORDER BY 1, 2"),
            },
        };
        await using var batchScope = batch.ConfigureAwait(false);
        var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var (outboxCount, oldest) = await CountAndOldestAsync(reader, cancellationToken).ConfigureAwait(false);
        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        var (parkedCount, oldestParked) = await CountAndOldestAsync(reader, cancellationToken).ConfigureAwait(false);
        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var (due, pending) = (reader.GetInt64(0), reader.GetInt64(1));
        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        var sagas = new List<SagaCount>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!reader.IsDBNull(1) && Enum.TryParse<SagaStatus>(reader.GetString(1), ignoreCase: true, out var status))
            {
                sagas.Add(new SagaCount(reader.GetString(0), status, reader.GetInt64(2)));
            }
        }

        return new StoreStatistics(new OutboxBacklog(outboxCount, oldest), parkedCount == 0 ? ParkedMessages.None : new ParkedMessages(parkedCount, oldestParked),
            due, pending, sagas);
    }

    public async Task<IReadOnlyList<ParkedOutboxMessage>> ListParkedAsync(int limit = 50, long after = 0, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        var command = new NpgsqlCommand($"""
            SELECT seq, destination, message_name, message_id, sent_at, attempts, last_error, claimed_until FROM {store.QuotedSchema}.outbox
            WHERE attempts > 0 AND seq > $1 ORDER BY seq LIMIT $2
            """, connection)
        {
            Parameters = { new NpgsqlParameter<long> { TypedValue = after }, new NpgsqlParameter<int> { TypedValue = limit } },
        };
        await using var commandScope = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var parked = new List<ParkedOutboxMessage>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            parked.Add(new ParkedOutboxMessage(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetGuid(3),
                reader.GetFieldValue<DateTimeOffset>(4), reader.GetInt32(5), reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.GetFieldValue<DateTime>(7) is var next && next == DateTime.MinValue ? null : new DateTimeOffset(next, TimeSpan.Zero)));
        }

        return parked;
    }

    public Task<long> RetryParkedAsync(IReadOnlyCollection<long>? sequences, CancellationToken cancellationToken = default) =>
        ChangeParkedAsync($"UPDATE {store.QuotedSchema}.outbox SET attempts = 0, last_error = NULL, claimed_until = '-infinity'", sequences, cancellationToken);

    public Task<long> PurgeParkedAsync(IReadOnlyCollection<long>? sequences, CancellationToken cancellationToken = default) =>
        ChangeParkedAsync($"DELETE FROM {store.QuotedSchema}.outbox", sequences, cancellationToken);

    public async Task<ScheduledPage> ListScheduledAsync(int limit = 50, string? after = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var (afterDue, afterId) = ScheduleCursor.Parse(after);
        var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        var command = new NpgsqlCommand($"""
            SELECT id, due_at, destination, message_name, message_id FROM {store.QuotedSchema}.schedules
            WHERE $1::timestamptz IS NULL OR (due_at, id) > ($1, $2) ORDER BY due_at, id LIMIT $3
            """, connection)
        {
            Parameters =
            {
                new NpgsqlParameter { Value = (object?)afterDue?.UtcDateTime ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz },
                new NpgsqlParameter<Guid> { TypedValue = afterId ?? Guid.Empty },
                new NpgsqlParameter<int> { TypedValue = limit + 1 },
            },
        };
        await using var commandScope = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var items = new List<ScheduledSummary>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            items.Add(new ScheduledSummary(reader.GetGuid(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetString(2), reader.GetString(3), reader.GetGuid(4)));
        }

        return ScheduleCursor.Page(items, limit);
    }

    private async Task<long> ChangeParkedAsync(string change, IReadOnlyCollection<long>? sequences, CancellationToken cancellationToken)
    {
        var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        var command = new NpgsqlCommand(change + " WHERE attempts > 0 AND ($1::bigint[] IS NULL OR seq = ANY($1))", connection)
        {
            Parameters = { new NpgsqlParameter { Value = (object?)sequences?.ToArray() ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Bigint } },
        };
        await using var commandScope = command.ConfigureAwait(false);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<(long Count, DateTimeOffset? Oldest)> CountAndOldestAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var count = reader.GetInt64(0);
        return (count, count == 0 ? null : reader.GetFieldValue<DateTimeOffset>(1));
    }
}
