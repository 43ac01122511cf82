using System.Globalization;
using Microsoft.Data.Sqlite;
using Tidings.Operations;
using Tidings.Stores;

namespace Tidings.Sqlite;

/// <summary><see cref="IStoreInspector"/> over the service's own SQLite database: Tidings' tables read and, for parked messages, changed.</summary>
public sealed class SqliteStoreInspector(SqliteStore store, TimeProvider? timeProvider = null) : IStoreInspector
{
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    /// <inheritdoc />
    public Task<StoreStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default)
    {
        using var connection = store.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT COUNT(*), MIN(sent_at) FROM tidings_outbox;
            SELECT COUNT(*), MIN(sent_at) FROM tidings_outbox WHERE attempts > 0;
            SELECT COALESCE(SUM(due_at <= $now), 0), COALESCE(SUM(due_at > $now), 0) FROM tidings_schedules;
            SELECT saga_name, json_extract(data, '$.status'), COUNT(*) FROM tidings_sagas GROUP BY 1, 2 ORDER BY 1, 2;
            """;
        command.Parameters.AddWithValue("$now", _time.GetUtcNow().ToUnixTimeMilliseconds());
        using var reader = command.ExecuteReader();
        var outbox = new OutboxBacklog(CountAndOldest(reader, out var oldest), oldest);
        reader.NextResult();
        var parkedCount = CountAndOldest(reader, out var oldestParked);
        var parked = parkedCount == 0 ? ParkedMessages.None : new ParkedMessages(parkedCount, oldestParked);
        reader.NextResult();
        reader.Read();
        var (due, pending) = (reader.GetInt64(0), reader.GetInt64(1));
        reader.NextResult();
        var sagas = new List<SagaCount>();
        while (reader.Read())
        {
            if (!reader.IsDBNull(1) && Enum.TryParse<SagaStatus>(reader.GetString(1), ignoreCase: true, out var status))
            {
                sagas.Add(new SagaCount(reader.GetString(0), status, reader.GetInt64(2)));
            }
        }

        return Task.FromResult(new StoreStatistics(outbox, parked, due, pending, sagas));
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ParkedOutboxMessage>> ListParkedAsync(int limit = 50, long after = 0, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        using var connection = store.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT sequence, destination, name, message_id, sent_at, attempts, last_error, retry_at FROM tidings_outbox
            WHERE attempts > 0 AND sequence > $after ORDER BY sequence LIMIT $limit
            """;
        command.Parameters.AddWithValue("$after", after);
        command.Parameters.AddWithValue("$limit", limit);
        using var reader = command.ExecuteReader();
        var parked = new List<ParkedOutboxMessage>();
        while (reader.Read())
        {
            parked.Add(new ParkedOutboxMessage(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), Guid.Parse(reader.GetString(3)),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)), reader.GetInt32(5), reader.IsDBNull(6) ? null : reader.GetString(6),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(7))));
        }

        return Task.FromResult<IReadOnlyList<ParkedOutboxMessage>>(parked);
    }

    /// <inheritdoc />
    public Task<long> RetryParkedAsync(IReadOnlyCollection<long>? sequences, CancellationToken cancellationToken = default) =>
        ChangeParkedAsync("UPDATE tidings_outbox SET attempts = 0, last_error = NULL, retry_at = 0", sequences, cancellationToken);

    /// <inheritdoc />
    public Task<long> PurgeParkedAsync(IReadOnlyCollection<long>? sequences, CancellationToken cancellationToken = default) =>
        ChangeParkedAsync("DELETE FROM tidings_outbox", sequences, cancellationToken);

    /// <inheritdoc />
    public Task<ScheduledPage> ListScheduledAsync(int limit = 50, string? after = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var (afterDue, afterId) = ScheduleCursor.Parse(after);
        using var connection = store.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT id, due_at, destination, name, message_id FROM tidings_schedules
            WHERE (due_at, id) > ($due, $id) ORDER BY due_at, id LIMIT $limit
            """;
        command.Parameters.AddWithValue("$due", afterDue?.ToUnixTimeMilliseconds() ?? long.MinValue);
        command.Parameters.AddWithValue("$id", afterId?.ToString() ?? "");
        command.Parameters.AddWithValue("$limit", limit + 1);
        using var reader = command.ExecuteReader();
        var items = new List<ScheduledSummary>();
        while (reader.Read())
        {
            items.Add(new ScheduledSummary(Guid.Parse(reader.GetString(0)), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)), reader.GetString(2),
                reader.GetString(3), Guid.Parse(reader.GetString(4))));
        }

        return Task.FromResult(ScheduleCursor.Page(items, limit));
    }

    private Task<long> ChangeParkedAsync(string change, IReadOnlyCollection<long>? sequences, CancellationToken cancellationToken) =>
        store.WriteAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = change + " WHERE attempts > 0" + (sequences is null ? "" : " AND sequence IN (SELECT value FROM json_each($sequences))");
            if (sequences is not null)
            {
                command.Parameters.AddWithValue("$sequences", "[" + string.Join(',', sequences.Select(s => s.ToString(CultureInfo.InvariantCulture))) + "]");
            }

            return (long)command.ExecuteNonQuery();
        }, cancellationToken);

    private static long CountAndOldest(SqliteDataReader reader, out DateTimeOffset? oldest)
    {
        reader.Read();
        var count = reader.GetInt64(0);
        oldest = count == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1));
        return count;
    }
}
