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

    /// <inheritdoc />
    public Task<SagaState?> FindAsync(StoreTransaction transaction, string sagaName, string correlationId, CancellationToken cancellationToken = default)
    {
        using var command = Command(transaction, "SELECT data, version FROM tidings_sagas WHERE saga_name = $saga AND correlation_id = $correlation", sagaName, correlationId);
        using var reader = command.ExecuteReader();
        return Task.FromResult(reader.Read() ? new SagaState(sagaName, correlationId, reader.GetString(0), reader.GetInt64(1)) : null);
    }

    /// <inheritdoc />
    public async Task<SagaState> InsertAsync(StoreTransaction transaction, string sagaName, string correlationId, string data, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        await transaction.PrepareToWriteAsync(cancellationToken).ConfigureAwait(false);
        using var command = Command(transaction,
            "INSERT OR IGNORE INTO tidings_sagas (saga_name, correlation_id, data, version, updated_at) VALUES ($saga, $correlation, $data, 1, $now)",
            sagaName, correlationId);
        command.Parameters.AddWithValue("$data", data);
        command.Parameters.AddWithValue("$now", _time.GetUtcNow().ToUnixTimeMilliseconds());
        if (command.ExecuteNonQuery() == 0)
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
        using var command = Command(transaction,
            "UPDATE tidings_sagas SET data = $data, version = version + 1, updated_at = $now WHERE saga_name = $saga AND correlation_id = $correlation AND version = $version",
            current.SagaName, current.CorrelationId);
        command.Parameters.AddWithValue("$data", data);
        command.Parameters.AddWithValue("$now", _time.GetUtcNow().ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$version", current.Version);
        if (command.ExecuteNonQuery() == 0)
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
        using var command = Command(transaction,
            "DELETE FROM tidings_sagas WHERE saga_name = $saga AND correlation_id = $correlation AND version = $version",
            current.SagaName, current.CorrelationId);
        command.Parameters.AddWithValue("$version", current.Version);
        if (command.ExecuteNonQuery() == 0)
        {
            throw SagaConcurrencyException.For(current.SagaName, current.CorrelationId, "was changed or removed");
        }

        return;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<SagaState>> ListAsync(string sagaName, SagaQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(sagaName);
        ArgumentNullException.ThrowIfNull(query);
        using var connection = store.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT correlation_id, data, version FROM tidings_sagas
            WHERE saga_name = $saga
              AND ($status IS NULL OR json_extract(data, '$.status') = $status)
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

    private static SqliteCommand Command(StoreTransaction transaction, string sql, string sagaName, string correlationId)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentException.ThrowIfNullOrEmpty(sagaName);
        ArgumentException.ThrowIfNullOrEmpty(correlationId);
        var command = (SqliteCommand)transaction.CreateCommand(sql);
        command.Parameters.AddWithValue("$saga", sagaName);
        command.Parameters.AddWithValue("$correlation", correlationId);
        return command;
    }
}
