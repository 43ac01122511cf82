using Npgsql;
using Tidings.Stores;

namespace Tidings.PostgreSql;

/// <summary>
/// Scheduled messages as rows of the service's PostgreSQL database. Due messages are claimed for
/// <see cref="PostgreSqlStoreOptions.ClaimDuration"/> with <c>FOR UPDATE SKIP LOCKED</c>, so that of several instances
/// one sends each; due times are compared with the database's clock, the same for every instance.
/// </summary>
public sealed class PostgreSqlScheduleStore(PostgreSqlStore store) : IScheduleStore
{
    /// <inheritdoc />
    public async Task ScheduleAsync(StoreTransaction transaction, ScheduledMessage scheduled, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(scheduled);
        var command = (NpgsqlCommand)transaction.CreateCommand($"""
            INSERT INTO {store.QuotedSchema}.schedules (id, due_at, {OutgoingColumns.Names})
            VALUES ($1, COALESCE(clock_timestamp() + $14, $2), $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
            """);
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = scheduled.Id });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = scheduled.DueAt.ToUniversalTime() });
        OutgoingColumns.Add(command.Parameters, scheduled.Message);

        // The span the scheduler asked for, kept on the database's clock (now, not the transaction's start): the one every
        // instance compares with.
        command.Parameters.Add(new NpgsqlParameter { Value = scheduled.ScheduledAt is { } at ? scheduled.DueAt - at : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Interval });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<bool> CancelAsync(StoreTransaction transaction, Guid scheduleId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        var command = (NpgsqlCommand)transaction.CreateCommand($"DELETE FROM {store.QuotedSchema}.schedules WHERE id = $1");
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = scheduleId });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ScheduledMessage>> FetchDueAsync(int maxMessages, CancellationToken cancellationToken = default)
    {
        var s = store.QuotedSchema;
        var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        var command = new NpgsqlCommand($"""
            UPDATE {s}.schedules SET claimed_until = now() + $2
            WHERE id IN (SELECT id FROM {s}.schedules WHERE due_at <= now() AND claimed_until < now() ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED)
            RETURNING id, due_at, {OutgoingColumns.Names}
            """, connection);
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = maxMessages });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = store.Options.ClaimDuration });
        var due = new List<ScheduledMessage>();
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            due.Add(new ScheduledMessage(reader.GetGuid(0), reader.GetFieldValue<DateTimeOffset>(1), OutgoingColumns.Read(reader, 2)));
        }

        // RETURNING keeps no order.
        due.Sort((a, b) => a.DueAt.CompareTo(b.DueAt));
        return due;
    }

    /// <inheritdoc />
    public async Task<TimeSpan?> NextDueInAsync(CancellationToken cancellationToken = default)
    {
        var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        var command = new NpgsqlCommand($"SELECT min(due_at) - now() FROM {store.QuotedSchema}.schedules WHERE claimed_until < now()", connection);
        await using var commandScope = command.ConfigureAwait(false);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is TimeSpan next ? next : null;
    }

    /// <inheritdoc />
    public async Task RemoveAsync(IReadOnlyList<Guid> scheduleIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scheduleIds);
        if (scheduleIds.Count == 0)
        {
            return;
        }

        var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        var command = new NpgsqlCommand($"DELETE FROM {store.QuotedSchema}.schedules WHERE id = ANY($1)", connection);
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. scheduleIds] });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
