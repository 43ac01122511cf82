using Npgsql;
using NpgsqlTypes;
using Tidings.Stores;

namespace Tidings.PostgreSql;

/// <summary>
/// Saga state as rows of the service's PostgreSQL database. <see cref="FindAsync"/> locks the row (<c>FOR UPDATE</c>)
/// so that two messages for one instance take turns; the version guards what a lock cannot (an instance created twice
/// at once, a change made without reading first).
/// </summary>
public sealed class PostgreSqlSagaStore(PostgreSqlStore store) : ISagaStore
{
    /// <inheritdoc />
    public async Task<SagaState?> FindAsync(StoreTransaction transaction, string sagaName, string correlationId, CancellationToken cancellationToken = default)
    {
        var command = Command(transaction, $"SELECT data::text, version FROM {store.QuotedSchema}.sagas WHERE saga_name = $1 AND correlation_id = $2 FOR UPDATE", sagaName, correlationId);
        await using var commandScope = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new SagaState(sagaName, correlationId, reader.GetString(0), reader.GetInt64(1))
            : null;
    }

    /// <inheritdoc />
    public async Task<SagaState> InsertAsync(StoreTransaction transaction, string sagaName, string correlationId, string data, CancellationToken cancellationToken = default)
    {
        await WriteAsync(transaction, [new SagaWrite(SagaWriteKind.Insert, sagaName, correlationId, data, 0)], cancellationToken).ConfigureAwait(false);
        return new SagaState(sagaName, correlationId, data, 1);
    }

    /// <inheritdoc />
    public async Task<SagaState> UpdateAsync(StoreTransaction transaction, SagaState current, string data, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(current);
        await WriteAsync(transaction, [new SagaWrite(SagaWriteKind.Update, current.SagaName, current.CorrelationId, data, current.Version)], cancellationToken).ConfigureAwait(false);
        return current with { Data = data, Version = current.Version + 1 };
    }

    /// <inheritdoc />
    public Task DeleteAsync(StoreTransaction transaction, SagaState current, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(current);
        return WriteAsync(transaction, [new SagaWrite(SagaWriteKind.Delete, current.SagaName, current.CorrelationId, null, current.Version)], cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>One statement; the rows are locked in the order of their correlation ids.</remarks>
    public async Task<IReadOnlyList<SagaState>> FindManyAsync(
        StoreTransaction transaction, string sagaName, IReadOnlyCollection<string> correlationIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentException.ThrowIfNullOrEmpty(sagaName);
        ArgumentNullException.ThrowIfNull(correlationIds);
        var command = (NpgsqlCommand)transaction.CreateCommand(
            $"SELECT correlation_id, data::text, version FROM {store.QuotedSchema}.sagas WHERE saga_name = $1 AND correlation_id = ANY($2) ORDER BY correlation_id FOR UPDATE");
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sagaName });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. correlationIds] });
        var found = new List<SagaState>(correlationIds.Count);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            found.Add(new SagaState(sagaName, reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
        }

        return found;
    }

    /// <inheritdoc />
    /// <remarks>One round trip for all the writes (a batch of statements).</remarks>
    public async Task WriteAsync(StoreTransaction transaction, IReadOnlyList<SagaWrite> writes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(writes);
        if (writes.Count == 0)
        {
            return;
        }

        var batch = new NpgsqlBatch((NpgsqlConnection)transaction.Connection, (NpgsqlTransaction)transaction.Transaction);
        await using var batchScope = batch.ConfigureAwait(false);
        foreach (var write in writes)
        {
            ArgumentException.ThrowIfNullOrEmpty(write.SagaName);
            ArgumentException.ThrowIfNullOrEmpty(write.CorrelationId);
            batch.BatchCommands.Add(Statement(write));
        }

        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < writes.Count; i++)
        {
            if (batch.BatchCommands[i].RecordsAffected == 0)
            {
                var write = writes[i];
                throw SagaConcurrencyException.For(write.SagaName, write.CorrelationId, write.Kind == SagaWriteKind.Insert ? "was started already" : "was changed or removed");
            }
        }
    }

    private NpgsqlBatchCommand Statement(SagaWrite write)
    {
        var command = new NpgsqlBatchCommand(write.Kind switch
        {
            SagaWriteKind.Insert => $"INSERT INTO {store.QuotedSchema}.sagas (saga_name, correlation_id, data, version) VALUES ($1, $2, $3, 1) ON CONFLICT DO NOTHING",
            SagaWriteKind.Update => $"UPDATE {store.QuotedSchema}.sagas SET data = $3, version = version + 1, updated_at = now() WHERE saga_name = $1 AND correlation_id = $2 AND version = $4",
            _ => $"DELETE FROM {store.QuotedSchema}.sagas WHERE saga_name = $1 AND correlation_id = $2 AND version = $3",
        });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = write.SagaName });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = write.CorrelationId });
        if (write.Kind != SagaWriteKind.Delete)
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = write.Data!, NpgsqlDbType = NpgsqlDbType.Jsonb });
        }

        if (write.Kind != SagaWriteKind.Insert)
        {
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = write.ExpectedVersion });
        }

        return command;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SagaState>> ListAsync(string sagaName, SagaQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(sagaName);
        ArgumentNullException.ThrowIfNull(query);
        var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        var command = new NpgsqlCommand($"""
            SELECT correlation_id, data::text, version FROM {store.QuotedSchema}.sagas
            WHERE saga_name = $1
              AND ($2::text IS NULL OR data->>'status' = $2)
              AND ($3::text IS NULL OR correlation_id > $3)
              AND ($4::text IS NULL OR correlation_id = $4)
            ORDER BY correlation_id LIMIT $5
            """, connection);
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sagaName });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)query.Status ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)query.After ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)query.CorrelationId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = Math.Max(1, query.Limit) });
        var instances = new List<SagaState>();
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            instances.Add(new SagaState(sagaName, reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
        }

        return instances;
    }

    /// <inheritdoc />
    /// <remarks>One query, on the primary key.</remarks>
    public async Task<IReadOnlyDictionary<string, long>> ReadVersionsAsync(string sagaName, IReadOnlyCollection<string> correlationIds, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(sagaName);
        ArgumentNullException.ThrowIfNull(correlationIds);
        var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        var command = new NpgsqlCommand($"SELECT correlation_id, version FROM {store.QuotedSchema}.sagas WHERE saga_name = $1 AND correlation_id = ANY($2)", connection);
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sagaName });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. correlationIds] });
        var versions = new Dictionary<string, long>(correlationIds.Count, StringComparer.Ordinal);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            versions[reader.GetString(0)] = reader.GetInt64(1);
        }

        return versions;
    }

    /// <inheritdoc />
    public async Task<int> PurgeCompletedAsync(string sagaName, TimeSpan age, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(sagaName);
        var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        var command = new NpgsqlCommand(
            $"DELETE FROM {store.QuotedSchema}.sagas WHERE saga_name = $1 AND data->>'status' = 'completed' AND updated_at < now() - $2", connection);
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sagaName });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = age });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static NpgsqlCommand Command(StoreTransaction transaction, string sql, string sagaName, string correlationId)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentException.ThrowIfNullOrEmpty(sagaName);
        ArgumentException.ThrowIfNullOrEmpty(correlationId);
        var command = (NpgsqlCommand)transaction.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sagaName });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = correlationId });
        return command;
    }
}
