using Microsoft.Data.Sqlite;
using Tidings.Stores;

namespace Tidings.Sqlite;

/// <summary>
/// Scheduled messages as rows of the service's own SQLite database. Due messages are claimed for a while when handed
/// out, so that two processes sharing the database do not both send one.
/// </summary>
public sealed class SqliteScheduleStore(SqliteStore store, TimeProvider? timeProvider = null) : IScheduleStore
{
    private static readonly TimeSpan ClaimDuration = TimeSpan.FromSeconds(30);
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    /// <inheritdoc />
    public async Task ScheduleAsync(StoreTransaction transaction, ScheduledMessage scheduled, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(scheduled);
        await transaction.PrepareToWriteAsync(cancellationToken).ConfigureAwait(false);
        using var insert = new RawStatement((SqliteConnection)transaction.Connection, $"""
            INSERT INTO tidings_schedules (id, due_at, {OutgoingColumns.Names})
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
            """);
        var message = scheduled.Message;
        // The span the scheduler asked for, on the store's clock (the one every reader of this file compares with).
        var dueAt = scheduled.ScheduledAt is { } at ? _time.GetUtcNow() + (scheduled.DueAt - at) : scheduled.DueAt;
        insert.Bind(1, scheduled.Id)
            .Bind(2, dueAt.ToUnixTimeMilliseconds())
            .Bind(3, (int)message.Destination.Kind)
            .Bind(4, message.Destination.Name)
            .Bind(5, message.DeliverAt?.ToUnixTimeMilliseconds())
            .BindEnvelope(6, message.Envelope)
            .Execute();
    }

    /// <inheritdoc />
    public async Task<bool> CancelAsync(StoreTransaction transaction, Guid scheduleId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        await transaction.PrepareToWriteAsync(cancellationToken).ConfigureAwait(false);
        using var command = (SqliteCommand)transaction.CreateCommand("DELETE FROM tidings_schedules WHERE id = $id");
        command.Parameters.AddWithValue("$id", scheduleId.ToString());
        return command.ExecuteNonQuery() == 1;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ScheduledMessage>> FetchDueAsync(int maxMessages, CancellationToken cancellationToken = default) =>
        store.WriteAsync<IReadOnlyList<ScheduledMessage>>(connection =>
        {
            var now = _time.GetUtcNow();
            using var command = connection.CreateCommand();
            command.CommandText = $"""
                UPDATE tidings_schedules SET claimed_until = $claim
                WHERE id IN (SELECT id FROM tidings_schedules WHERE due_at <= $now AND claimed_until <= $now ORDER BY due_at LIMIT $max)
                RETURNING id, due_at, {OutgoingColumns.Names}
                """;
            command.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$claim", (now + ClaimDuration).ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$max", maxMessages);
            var due = new List<ScheduledMessage>();
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    due.Add(new ScheduledMessage(Guid.Parse(reader.GetString(0)), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)), OutgoingColumns.Read(reader, 2)));
                }
            }

            due.Sort((a, b) => a.DueAt.CompareTo(b.DueAt));
            return due;
        }, cancellationToken);

    /// <inheritdoc />
    /// <remarks>SQLite has no clock of its own: the span is from the store's <see cref="TimeProvider"/>.</remarks>
    public Task<TimeSpan?> NextDueInAsync(CancellationToken cancellationToken = default)
    {
        using var connection = store.Open();
        using var command = connection.CreateCommand();
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        command.CommandText = "SELECT min(due_at) FROM tidings_schedules WHERE claimed_until <= $now";
        command.Parameters.AddWithValue("$now", now);
        return Task.FromResult(command.ExecuteScalar() is long next ? TimeSpan.FromMilliseconds(next - now) : (TimeSpan?)null);
    }

    /// <inheritdoc />
    public Task RemoveAsync(IReadOnlyList<Guid> scheduleIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scheduleIds);
        if (scheduleIds.Count == 0)
        {
            return Task.CompletedTask;
        }

        var ids = System.Text.Json.JsonSerializer.Serialize(scheduleIds.Select(id => id.ToString()));
        return store.WriteAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "DELETE FROM tidings_schedules WHERE id IN (SELECT value FROM json_each($ids))";
            command.Parameters.AddWithValue("$ids", ids);
            return command.ExecuteNonQuery();
        }, cancellationToken);
    }
}
