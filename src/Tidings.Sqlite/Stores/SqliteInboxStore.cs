using Microsoft.Data.Sqlite;
using Tidings.Stores;

namespace Tidings.Sqlite;

/// <summary>The inbox as a table of the service's own SQLite database, keyed by endpoint and message id.</summary>
public sealed class SqliteInboxStore(SqliteStore store, TimeProvider? timeProvider = null) : IInboxStore
{
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    /// <inheritdoc />
    public Task<bool> TryRecordAsync(StoreTransaction transaction, string endpoint, Guid messageId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        using var command = (SqliteCommand)transaction.CreateCommand(
            "INSERT OR IGNORE INTO tidings_inbox (endpoint, message_id, received_at) VALUES ($endpoint, $id, $at)");
        command.Parameters.AddWithValue("$endpoint", endpoint);
        command.Parameters.AddWithValue("$id", messageId.ToString());
        command.Parameters.AddWithValue("$at", _time.GetUtcNow().ToUnixTimeMilliseconds());
        return Task.FromResult(command.ExecuteNonQuery() == 1);
    }

    /// <inheritdoc />
    public Task<int> PurgeAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default)
    {
        using var connection = store.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM tidings_inbox WHERE received_at < $before";
        command.Parameters.AddWithValue("$before", olderThan.ToUnixTimeMilliseconds());
        return Task.FromResult(command.ExecuteNonQuery());
    }
}
