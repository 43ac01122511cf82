using Microsoft.Data.Sqlite;
using Tidings.Stores;

namespace Tidings.Sqlite;

/// <summary>The inbox as a table of the service's own SQLite database, keyed by endpoint and message id.</summary>
public sealed class SqliteInboxStore(SqliteStore store, TimeProvider? timeProvider = null) : IInboxStore
{
    // One prepared insert per transaction, reused by every message of an effectively-once batch.
    private static readonly object CommandKey = new();
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    /// <inheritdoc />
    public Task<bool> TryRecordAsync(StoreTransaction transaction, string endpoint, Guid messageId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        var command = transaction.GetOrAdd(CommandKey, static tx =>
        {
            var insert = (SqliteCommand)tx.CreateCommand(
                "INSERT OR IGNORE INTO tidings_inbox (endpoint, message_id, received_at) VALUES ($endpoint, $id, $at)");
            insert.Parameters.Add(new SqliteParameter { ParameterName = "$endpoint" });
            insert.Parameters.Add(new SqliteParameter { ParameterName = "$id" });
            insert.Parameters.Add(new SqliteParameter { ParameterName = "$at" });
            return insert;
        });
        command.Parameters[0].Value = endpoint;
        command.Parameters[1].Value = messageId.ToString();
        command.Parameters[2].Value = _time.GetUtcNow().ToUnixTimeMilliseconds();
        return Task.FromResult(command.ExecuteNonQuery() == 1);
    }

    /// <inheritdoc />
    public Task<int> PurgeAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default) =>
        store.WriteAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "DELETE FROM tidings_inbox WHERE received_at < $before";
            command.Parameters.AddWithValue("$before", olderThan.ToUnixTimeMilliseconds());
            return command.ExecuteNonQuery();
        }, cancellationToken);
}
