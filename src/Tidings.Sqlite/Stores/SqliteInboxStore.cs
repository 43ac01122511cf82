using Microsoft.Data.Sqlite;
using Tidings.Stores;

namespace Tidings.Sqlite;

/// <summary>The inbox as a table of the service's own SQLite database, keyed by endpoint and message id.</summary>
public sealed class SqliteInboxStore(SqliteStore store, TimeProvider? timeProvider = null) : IInboxStore
{
    // One prepared insert per transaction, reused by every message of an effectively-once batch.
    private static readonly object CommandKey = new();
    private static readonly object LookupKey = new();
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    /// <inheritdoc />
    public Task<bool> TryRecordAsync(StoreTransaction transaction, string endpoint, Guid messageId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        var insert = transaction.GetOrAdd(CommandKey, static tx => new RawStatement((SqliteConnection)tx.Connection,
            "INSERT OR IGNORE INTO tidings_inbox (endpoint, message_id, received_at) VALUES (?1, ?2, ?3)"));
        var inserted = insert
            .Bind(1, endpoint)
            .Bind(2, messageId)
            .Bind(3, _time.GetUtcNow().ToUnixTimeMilliseconds())
            .Execute();
        return Task.FromResult(inserted == 1);
    }

    /// <inheritdoc />
    /// <remarks>
    /// One prepared lookup per id: in-process, that costs less than building a query for the batch. For a transaction
    /// that defers its write lock the lookup reads committed state on a connection of its own: a read in the transaction
    /// would fix its snapshot before the handlers run, and any commit meanwhile would make its first write fail. An id
    /// recorded after the lookup is still caught when the batch records its ids.
    /// </remarks>
    public Task<IReadOnlySet<Guid>> FindRecordedAsync(StoreTransaction transaction, string endpoint, IReadOnlyList<Guid> messageIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(messageIds);
        if (!transaction.DefersWriteLock)
        {
            var lookup = transaction.GetOrAdd(LookupKey, static tx => new RawStatement((SqliteConnection)tx.Connection, Lookup));
            return Task.FromResult<IReadOnlySet<Guid>>(Find(lookup, endpoint, messageIds));
        }

        using var connection = store.Open();
        using var outside = new RawStatement(connection, Lookup);
        return Task.FromResult<IReadOnlySet<Guid>>(Find(outside, endpoint, messageIds));
    }

    private const string Lookup = "SELECT 1 FROM tidings_inbox WHERE endpoint = ?1 AND message_id = ?2";

    private static HashSet<Guid> Find(RawStatement lookup, string endpoint, IReadOnlyList<Guid> messageIds)
    {
        var recorded = new HashSet<Guid>();
        foreach (var messageId in messageIds)
        {
            if (lookup.Bind(1, endpoint).Bind(2, messageId).Read())
            {
                recorded.Add(messageId);
                while (lookup.Read())
                {
                    // Steps to the end, which resets the statement for the next id.
                }
            }
        }

        return recorded;
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
