using Npgsql;
using NpgsqlTypes;
using Tidings.Stores;

namespace Tidings.PostgreSql;

/// <summary>
/// Idempotency keys as rows of the service's PostgreSQL database. A key in flight is claimed with a transaction-scoped
/// advisory lock, so a second request with it, on any instance of the service, is told at once that the first is still
/// being handled; the lock goes with the transaction, so a crash leaves nothing claimed. Expiry is by the database's clock.
/// </summary>
public sealed class PostgreSqlIdempotencyStore(PostgreSqlStore store) : IIdempotencyStore
{
    /// <summary>
    /// The key's advisory lock, which is the database's and not the schema's: it names the schema too, so that two
    /// services in one database (a schema each) never hold each other's keys. Each part is length-prefixed.
    /// </summary>
    private const string ClaimSql =
        "SELECT pg_try_advisory_xact_lock(hashtextextended('tidings-idempotency:' || length($3) || ':' || $3 || length($1) || ':' || $1 || $2, 0))";

    /// <inheritdoc />
    public async Task<bool> TryClaimAsync(StoreTransaction transaction, string scope, string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        var command = (NpgsqlCommand)transaction.CreateCommand(ClaimSql);
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = scope });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = store.Options.Schema });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <inheritdoc />
    /// <remarks>
    /// Two statements in one round trip: the advisory lock, then the record. Each statement of a READ COMMITTED
    /// transaction reads its own snapshot, so the record's read sees a request that held the key and committed just
    /// before the lock was taken (one statement would read from before the lock, and run the handler again). This
    /// needs READ COMMITTED, PostgreSQL's default, in which the store begins its transactions: under REPEATABLE READ
    /// (a database whose <c>default_transaction_isolation</c> says so) the first statement fixes the snapshot.
    /// </remarks>
    public async Task<IdempotencyClaim> ClaimAsync(StoreTransaction transaction, string scope, string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        var batch = new NpgsqlBatch((NpgsqlConnection)transaction.Connection, (NpgsqlTransaction)transaction.Transaction)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(ClaimSql)
                {
                    Parameters =
                    {
                        new NpgsqlParameter<string> { TypedValue = scope },
                        new NpgsqlParameter<string> { TypedValue = key },
                        new NpgsqlParameter<string> { TypedValue = store.Options.Schema },
                    },
                },
                new NpgsqlBatchCommand($"""
                    SELECT fingerprint, status_code, location, content_type, body, created_at, expires_at FROM {store.QuotedSchema}.idempotency_keys
                    WHERE scope = $1 AND key = $2 AND expires_at > now()
                    """)
                {
                    Parameters = { new NpgsqlParameter<string> { TypedValue = scope }, new NpgsqlParameter<string> { TypedValue = key } },
                },
            },
        };
        await using var batchScope = batch.ConfigureAwait(false);
        var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (!reader.GetBoolean(0))
        {
            // Held by another transaction: what it left is not this request's to read.
            return new IdempotencyClaim(false, null);
        }

        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        return new IdempotencyClaim(true, await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new IdempotencyRecord(scope, key, reader.GetString(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), (byte[])reader.GetValue(4),
                reader.GetFieldValue<DateTimeOffset>(5), reader.GetFieldValue<DateTimeOffset>(6))
            : null);
    }

    /// <inheritdoc />
    public async Task<IdempotencyRecord?> FindAsync(StoreTransaction transaction, string scope, string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        var command = (NpgsqlCommand)transaction.CreateCommand($"""
            SELECT fingerprint, status_code, location, content_type, body, created_at, expires_at FROM {store.QuotedSchema}.idempotency_keys
            WHERE scope = $1 AND key = $2 AND expires_at > now()
            """);
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = scope });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key });
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new IdempotencyRecord(scope, key, reader.GetString(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), (byte[])reader.GetValue(4),
                reader.GetFieldValue<DateTimeOffset>(5), reader.GetFieldValue<DateTimeOffset>(6))
            : null;
    }

    /// <inheritdoc />
    /// <remarks>The record keeps the span from creation to expiry on the database's clock.</remarks>
    public async Task RecordAsync(StoreTransaction transaction, IdempotencyRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(record);
        var batch = new NpgsqlBatch((NpgsqlConnection)transaction.Connection, (NpgsqlTransaction)transaction.Transaction) { BatchCommands = { Insert(record) } };
        await using var batchScope = batch.ConfigureAwait(false);
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        if (batch.BatchCommands[0].RecordsAffected == 0)
        {
            throw Taken(record);
        }
    }

    /// <inheritdoc />
    /// <remarks>Deferred to the commit, where the insert rides in the outbox's round trip.</remarks>
    public Task RecordAtCommitAsync(StoreTransaction transaction, IdempotencyRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(record);
        DeferredWrites.Add(transaction, Insert(record), () => Taken(record));
        return Task.CompletedTask;
    }

    private static IdempotencyKeyTakenException Taken(IdempotencyRecord record) => new($"Idempotency key '{record.Key}' has a response already.");

    private NpgsqlBatchCommand Insert(IdempotencyRecord record) => new($"""
        INSERT INTO {store.QuotedSchema}.idempotency_keys (scope, key, fingerprint, status_code, location, content_type, body, created_at, expires_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, now(), now() + $8)
        ON CONFLICT (scope, key) DO UPDATE SET
            fingerprint = excluded.fingerprint, status_code = excluded.status_code, location = excluded.location,
            content_type = excluded.content_type, body = excluded.body, created_at = excluded.created_at, expires_at = excluded.expires_at
        WHERE {store.QuotedSchema}.idempotency_keys.expires_at <= now()
        """)
    {
        Parameters =
        {
            new NpgsqlParameter<string> { TypedValue = record.Scope },
            new NpgsqlParameter<string> { TypedValue = record.Key },
            new NpgsqlParameter<string> { TypedValue = record.Fingerprint },
            new NpgsqlParameter<int> { TypedValue = record.StatusCode },
            new NpgsqlParameter { Value = (object?)record.Location ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
            new NpgsqlParameter { Value = (object?)record.ContentType ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
            new NpgsqlParameter<byte[]> { TypedValue = record.Body },
            new NpgsqlParameter<TimeSpan> { TypedValue = record.ExpiresAt - record.CreatedAt },
        },
    };

    /// <inheritdoc />
    public async Task<int> PurgeExpiredAsync(CancellationToken cancellationToken = default)
    {
        var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        var command = new NpgsqlCommand($"DELETE FROM {store.QuotedSchema}.idempotency_keys WHERE expires_at <= now()", connection);
        await using var commandScope = command.ConfigureAwait(false);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
