using Microsoft.Data.Sqlite;
using Tidings.Stores;
using Tidings.Transport;

namespace Tidings.Sqlite;

/// <summary>The outbox as a table of the service's own SQLite database.</summary>
public sealed class SqliteOutboxStore(SqliteStore store, TimeProvider? timeProvider = null) : IOutboxStore
{
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    // One prepared insert per transaction, reused by every message of an effectively-once batch.
    private static readonly object CommandKey = new();

    private const string Insert = """
        INSERT INTO tidings_outbox (destination_kind, destination, deliver_at, message_id, name, correlation_id, causation_id, sent_at, content_type, headers, body)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
        """;

    /// <inheritdoc />
    public Task<IReadOnlyList<OutboxEntry>> AddAsync(StoreTransaction transaction, IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(messages);
        var insert = transaction.GetOrAdd(CommandKey, static tx => new RawStatement((SqliteConnection)tx.Connection, Insert));
        var entries = new OutboxEntry[messages.Count];
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            insert.Bind(1, (int)message.Destination.Kind)
                .Bind(2, message.Destination.Name)
                .Bind(3, message.DeliverAt?.ToUnixTimeMilliseconds())
                .BindEnvelope(4, message.Envelope)
                .Execute();
            entries[i] = new OutboxEntry(insert.LastInsertRowId, message);
        }

        return Task.FromResult<IReadOnlyList<OutboxEntry>>(entries);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<OutboxEntry>> FetchAsync(int maxMessages, CancellationToken cancellationToken = default)
    {
        using var connection = store.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT sequence, destination_kind, destination, deliver_at, message_id, name, correlation_id, causation_id, sent_at, content_type, headers, body, attempts
            FROM tidings_outbox WHERE retry_at <= $now ORDER BY sequence LIMIT $max
            """;
        command.Parameters.AddWithValue("$max", maxMessages);
        command.Parameters.AddWithValue("$now", _time.GetUtcNow().ToUnixTimeMilliseconds());
        var entries = new List<OutboxEntry>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            entries.Add(new OutboxEntry(reader.GetInt64(0), OutgoingColumns.Read(reader, 1)) { Attempts = reader.GetInt32(12) });
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

        var sequences = Sequences(entries);
        return store.WriteAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = Delete;
            command.Parameters.AddWithValue("$sequences", sequences);
            return command.ExecuteNonQuery();
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task RemoveAsync(StoreTransaction transaction, IReadOnlyList<OutboxEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            return Task.CompletedTask;
        }

        using var command = (SqliteCommand)transaction.CreateCommand(Delete);
        command.Parameters.AddWithValue("$sequences", Sequences(entries));
        command.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task ParkAsync(IReadOnlyList<OutboxEntry> entries, string reason, OutboxBackoff backoff, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            return Task.CompletedTask;
        }

        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        return store.WriteAsync(connection =>
        {
            using var transaction = connection.BeginTransaction();
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "UPDATE tidings_outbox SET attempts = attempts + 1, last_error = $reason, retry_at = $retryAt WHERE sequence = $sequence";
            var (reasonParameter, retryAt, sequence) = (command.Parameters.Add("$reason", SqliteType.Text), command.Parameters.Add("$retryAt", SqliteType.Integer),
                command.Parameters.Add("$sequence", SqliteType.Integer));
            reasonParameter.Value = reason;
            foreach (var entry in entries)
            {
                retryAt.Value = now + (long)backoff.DelayAfter(entry.Attempts + 1).TotalMilliseconds;
                sequence.Value = entry.Sequence;
                command.ExecuteNonQuery();
            }

            transaction.Commit();
            return entries.Count;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<ParkedMessages> CountParkedAsync(CancellationToken cancellationToken = default)
    {
        var (count, oldest) = CountAndOldest("WHERE attempts > 0");
        return Task.FromResult(count == 0 ? ParkedMessages.None : new ParkedMessages(count, oldest));
    }

    /// <inheritdoc />
    public Task<OutboxBacklog> MeasureBacklogAsync(CancellationToken cancellationToken = default)
    {
        var (count, oldest) = CountAndOldest("");
        return Task.FromResult(new OutboxBacklog(count, oldest));
    }

    /// <summary>How many outbox rows match <paramref name="where"/>, and when the oldest of them was staged.</summary>
    private (long Count, DateTimeOffset? Oldest) CountAndOldest(string where)
    {
        using var connection = store.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*), MIN(sent_at) FROM tidings_outbox {where}";
        using var reader = command.ExecuteReader();
        reader.Read();
        var count = reader.GetInt64(0);
        return (count, count == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)));
    }

    private const string Delete = "DELETE FROM tidings_outbox WHERE sequence IN (SELECT value FROM json_each($sequences))";

    private static string Sequences(IReadOnlyList<OutboxEntry> entries) =>
        "[" + string.Join(',', entries.Select(e => e.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]";
}
