using Microsoft.Data.Sqlite;
using Tidings.Stores;

namespace Tidings.Sqlite;

/// <summary>
/// Idempotency keys as a table of the service's own SQLite database. SQLite has one writer at a time, so a second
/// request with a key in flight in another process waits for the first one's commit and then finds its record; within
/// one process, Tidings.AspNetCore answers it 409 at once.
/// </summary>
public sealed class SqliteIdempotencyStore(SqliteStore store, TimeProvider? timeProvider = null) : IIdempotencyStore
{
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    /// <inheritdoc />
    public Task<bool> TryClaimAsync(StoreTransaction transaction, string scope, string key, CancellationToken cancellationToken = default) =>
        Task.FromResult(true);

    /// <inheritdoc />
    public Task<IdempotencyRecord?> FindAsync(StoreTransaction transaction, string scope, string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        using var command = (SqliteCommand)transaction.CreateCommand("""
            SELECT fingerprint, status_code, location, content_type, body, created_at, expires_at FROM tidings_idempotency
            WHERE scope = $scope AND key = $key AND expires_at > $now
            """);
        command.Parameters.AddWithValue("$scope", scope);
        command.Parameters.AddWithValue("$key", key);
        command.Parameters.AddWithValue("$now", _time.GetUtcNow().ToUnixTimeMilliseconds());
        using var reader = command.ExecuteReader();
        return Task.FromResult(reader.Read()
            ? new IdempotencyRecord(scope, key, reader.GetString(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), (byte[])reader.GetValue(4),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6)))
            : null);
    }

    /// <inheritdoc />
    public async Task RecordAsync(StoreTransaction transaction, IdempotencyRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(record);
        await transaction.PrepareToWriteAsync(cancellationToken).ConfigureAwait(false);
        using var command = (SqliteCommand)transaction.CreateCommand("""
            INSERT INTO tidings_idempotency (scope, key, fingerprint, status_code, location, content_type, body, created_at, expires_at)
            VALUES ($scope, $key, $fingerprint, $status, $location, $contentType, $body, $created, $expires)
            ON CONFLICT (scope, key) DO UPDATE SET
                fingerprint = excluded.fingerprint, status_code = excluded.status_code, location = excluded.location,
                content_type = excluded.content_type, body = excluded.body, created_at = excluded.created_at, expires_at = excluded.expires_at
            WHERE tidings_idempotency.expires_at <= $now
            """);
        command.Parameters.AddWithValue("$scope", record.Scope);
        command.Parameters.AddWithValue("$key", record.Key);
        command.Parameters.AddWithValue("$fingerprint", record.Fingerprint);
        command.Parameters.AddWithValue("$status", record.StatusCode);
        command.Parameters.AddWithValue("$location", (object?)record.Location ?? DBNull.Value);
        command.Parameters.AddWithValue("$contentType", (object?)record.ContentType ?? DBNull.Value);
        command.Parameters.AddWithValue("$body", record.Body);
        command.Parameters.AddWithValue("$created", record.CreatedAt.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$expires", record.ExpiresAt.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$now", _time.GetUtcNow().ToUnixTimeMilliseconds());
        if (command.ExecuteNonQuery() == 0)
        {
            throw new IdempotencyKeyTakenException($"Idempotency key '{record.Key}' has a response already.");
        }
    }

    /// <inheritdoc />
    public async Task<int> PurgeExpiredAsync(CancellationToken cancellationToken = default)
    {
        var transaction = await store.BeginAsync(cancellationToken).ConfigureAwait(false);
        await using var scope = transaction.ConfigureAwait(false);
        using var command = (SqliteCommand)transaction.CreateCommand("DELETE FROM tidings_idempotency WHERE expires_at <= $now");
        command.Parameters.AddWithValue("$now", _time.GetUtcNow().ToUnixTimeMilliseconds());
        var removed = command.ExecuteNonQuery();
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return removed;
    }
}
