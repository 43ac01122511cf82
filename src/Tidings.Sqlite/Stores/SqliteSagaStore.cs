using Microsoft.Data.Sqlite;
using Tidings.Stores;

namespace Tidings.Sqlite;

/// <summary>
/// Saga state as rows of the service's own SQLite database. A write first takes the transaction's turn to write
/// (<see cref="StoreTransaction.PrepareToWriteAsync"/>): in a deferred transaction it waits for the process's gate,
/// asynchronously, rather than in SQLite's busy handler, which sleeps. A transaction that read an instance another
/// changed meanwhile cannot write (SQLITE_BUSY_SNAPSHOT) and starts over; the version guards the rest.
/// </summary>
public sealed class SqliteSagaStore(SqliteStore store, TimeProvider? timeProvider = null) : ISagaStore
{
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    // Prepared once per transaction and reused for every message of the batch.
    private static readonly object FindKey = new();
    private static readonly object InsertKey = new();
    private static readonly object UpdateKey = new();
    private static readonly object DeleteKey = new();

    /// <inheritdoc />
    public Task<SagaState?> FindAsync(StoreTransaction transaction, string sagaName, string correlationId, CancellationToken cancellationToken = default)
    {
        var find = Statement(transaction, FindKey, "SELECT data, version FROM tidings_sagas WHERE saga_name = ?1 AND correlation_id = ?2", sagaName, correlationId);
        if (!find.Read())
        {
            return Task.FromResult<SagaState?>(null);
        }

        var found = new SagaState(sagaName, correlationId, find.Text(0), find.Int64(1));
        while (find.Read())
        {
            // Steps to the end, which resets the statement for the next message.
        }

        return Task.FromResult<SagaState?>(found);
    }

    /// <inheritdoc />
    public async Task<SagaState> InsertAsync(StoreTransaction transaction, string sagaName, string correlationId, string data, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        await transaction.PrepareToWriteAsync(cancellationToken).ConfigureAwait(false);
        var inserted = Statement(transaction, InsertKey,
                "INSERT OR IGNORE INTO tidings_sagas (saga_name, correlation_id, data, version, updated_at) VALUES (?1, ?2, ?3, 1, ?4)", sagaName, correlationId)
            .Bind(3, data)
            .Bind(4, _time.GetUtcNow().ToUnixTimeMilliseconds())
            .Execute();
        if (inserted == 0)
        {
            throw SagaConcurrencyException.For(sagaName, correlationId, "was started already");
        }

        return new SagaState(sagaName, correlationId, data, 1);
    }

    /// <inheritdoc />
    public async Task<SagaState> UpdateAsync(StoreTransaction transaction, SagaState current, string data, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(current);
        await transaction.PrepareToWriteAsync(cancellationToken).ConfigureAwait(false);
        var updated = Statement(transaction, UpdateKey,
                "UPDATE tidings_sagas SET data = ?3, version = version + 1, updated_at = ?4 WHERE saga_name = ?1 AND correlation_id = ?2 AND version = ?5",
                current.SagaName, current.CorrelationId)
            .Bind(3, data)
            .Bind(4, _time.GetUtcNow().ToUnixTimeMilliseconds())
            .Bind(5, current.Version)
            .Execute();
        if (updated == 0)
        {
            throw SagaConcurrencyException.For(current.SagaName, current.CorrelationId, "was changed or removed");
        }

        return current with { Data = data, Version = current.Version + 1 };
    }

    /// <inheritdoc />
    public async Task DeleteAsync(StoreTransaction transaction, SagaState current, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(current);
        await transaction.PrepareToWriteAsync(cancellationToken).ConfigureAwait(false);
        var deleted = Statement(transaction, DeleteKey,
                "DELETE FROM tidings_sagas WHERE saga_name = ?1 AND correlation_id = ?2 AND version = ?3", current.SagaName, current.CorrelationId)
            .Bind(3, current.Version)
            .Execute();
        if (deleted == 0)
        {
            throw SagaConcurrencyException.For(current.SagaName, current.CorrelationId, "was changed or removed");
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<SagaState>> ListAsync(string sagaName, SagaQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(sagaName);
        ArgumentNullException.ThrowIfNull(query);
        using var connection = store.Open();
        using var command = connection.CreateCommand();
        // The status is a condition only when asked for, so that the status index serves the query (SQLite plans a
        // statement before it sees its values).
        command.CommandText = $"""
            SELECT correlation_id, data, version FROM tidings_sagas
            WHERE saga_name = $saga
              {(query.Status is null ? "" : "AND json_extract(data, '$.status') = $status")}
              AND ($after IS NULL OR correlation_id > $after)
              AND ($correlation IS NULL OR correlation_id = $correlation)
            ORDER BY correlation_id LIMIT $limit
            """;
        command.Parameters.AddWithValue("$saga", sagaName);
        command.Parameters.AddWithValue("$status", (object?)query.Status ?? DBNull.Value);
        command.Parameters.AddWithValue("$after", (object?)query.After ?? DBNull.Value);
        command.Parameters.AddWithValue("$correlation", (object?)query.CorrelationId ?? DBNull.Value);
        command.Parameters.AddWithValue("$limit", Math.Max(1, query.Limit));
        var instances = new List<SagaState>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            instances.Add(new SagaState(sagaName, reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
        }

        return Task.FromResult<IReadOnlyList<SagaState>>(instances);
    }

    /// <inheritdoc />
    /// <remarks>One query, on the primary key.</remarks>
    public Task<IReadOnlyDictionary<string, long>> ReadVersionsAsync(string sagaName, IReadOnlyCollection<string> correlationIds, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(sagaName);
        ArgumentNullException.ThrowIfNull(correlationIds);
        using var connection = store.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT correlation_id, version FROM tidings_sagas WHERE saga_name = $saga AND correlation_id IN (SELECT value FROM json_each($ids))";
        command.Parameters.AddWithValue("$saga", sagaName);
        command.Parameters.AddWithValue("$ids", System.Text.Json.JsonSerializer.Serialize(correlationIds));
        var versions = new Dictionary<string, long>(correlationIds.Count, StringComparer.Ordinal);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            versions[reader.GetString(0)] = reader.GetInt64(1);
        }

        return Task.FromResult<IReadOnlyDictionary<string, long>>(versions);
    }

    /// <inheritdoc />
    public Task<int> PurgeCompletedAsync(string sagaName, TimeSpan age, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(sagaName);
        var before = (_time.GetUtcNow() - age).ToUnixTimeMilliseconds();
        return store.WriteAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "DELETE FROM tidings_sagas WHERE saga_name = $saga AND json_extract(data, '$.status') = 'completed' AND updated_at < $before";
            command.Parameters.AddWithValue("$saga", sagaName);
            command.Parameters.AddWithValue("$before", before);
            return command.ExecuteNonQuery();
        }, cancellationToken);
    }

    private static RawStatement Statement(StoreTransaction transaction, object key, string sql, string sagaName, string correlationId)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentException.ThrowIfNullOrEmpty(sagaName);
        ArgumentException.ThrowIfNullOrEmpty(correlationId);
        return transaction.GetOrAdd(key, tx => new RawStatement((SqliteConnection)tx.Connection, sql))
            .Bind(1, sagaName)
            .Bind(2, correlationId);
    }
}
