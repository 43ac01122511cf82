using Tidings.Operations;
using Tidings.Transport;

namespace Tidings.Sqlite;

public sealed partial class SqliteTransport : IQueueStatistics
{
    /// <inheritdoc />
    public bool CanListQueues => true;

    /// <inheritdoc />
    /// <remarks>
    /// Waiting are the rows a receiver could take now (visible, not leased or their lease run out); in flight are the rows
    /// leased to a receiver whose lease has not run out; delayed rows (a later delivery, a retry's wait) are neither. The
    /// bus file keeps no record of who polls it: <see cref="QueueStatistics.Consumers"/> is null.
    /// </remarks>
    public Task<IReadOnlyList<QueueStatistics>> GetQueueStatisticsAsync(IReadOnlyCollection<string> queues, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queues);
        var now = Time.GetUtcNow();
        using var connection = OpenExisting();
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT q.name,
                COUNT(m.id) FILTER (WHERE m.visible_at <= $now),
                COUNT(m.id) FILTER (WHERE m.lease_owner IS NOT NULL AND m.visible_at > $now),
                MIN(m.sent_at) FILTER (WHERE m.visible_at <= $now),
                (SELECT COUNT(*) FROM messages d WHERE d.queue = q.name || '{DeadLetterQueues.Suffix}')
            FROM queues q LEFT JOIN messages m ON m.queue = q.name
            WHERE {(queues.Count > 0 ? "q.name IN (SELECT value FROM json_each($names))" : $"q.name NOT LIKE '%{DeadLetterQueues.Suffix}'")}
            GROUP BY q.name ORDER BY q.name
            """;
        command.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$names", System.Text.Json.JsonSerializer.Serialize(queues));
        using var reader = command.ExecuteReader();
        var statistics = new List<QueueStatistics>();
        while (reader.Read())
        {
            TimeSpan? oldest = reader.IsDBNull(3) ? null : now - DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3));
            statistics.Add(new QueueStatistics(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(4),
                oldest < TimeSpan.Zero ? TimeSpan.Zero : oldest, null));
        }

        return Task.FromResult<IReadOnlyList<QueueStatistics>>(statistics);
    }
}
