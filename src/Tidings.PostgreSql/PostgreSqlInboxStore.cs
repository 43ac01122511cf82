using Npgsql;
using Tidings.Stores;

namespace Tidings.PostgreSql;

/// <summary>
/// The inbox as a table of the service's PostgreSQL database. Recording a message id inserts a row in the handler's
/// transaction; the primary key makes a concurrent duplicate (the same message on two instances) wait for the first
/// transaction and then find the row, so the side effect happens once.
/// </summary>
public sealed class PostgreSqlInboxStore(PostgreSqlStore store) : IInboxStore
{
    /// <inheritdoc />
    public async Task<bool> TryRecordAsync(StoreTransaction transaction, string endpoint, Guid messageId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        var command = (NpgsqlCommand)transaction.CreateCommand(
            $"INSERT INTO {store.QuotedSchema}.inbox (endpoint, message_id) VALUES ($1, $2) ON CONFLICT DO NOTHING");
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = endpoint });
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = messageId });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<IReadOnlySet<Guid>> FindRecordedAsync(StoreTransaction transaction, string endpoint, IReadOnlyList<Guid> messageIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(messageIds);
        var command = (NpgsqlCommand)transaction.CreateCommand(
            $"SELECT message_id FROM {store.QuotedSchema}.inbox WHERE endpoint = $1 AND message_id = ANY($2)");
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = endpoint });
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. messageIds] });
        return await ReadIdsAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>
    /// One statement for the batch. The ids go in sorted, so two batches that share ids take their key locks in the
    /// same order and cannot deadlock.
    /// </remarks>
    public async Task<IReadOnlySet<Guid>> RecordAsync(StoreTransaction transaction, string endpoint, IReadOnlyList<Guid> messageIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(messageIds);
        var sorted = messageIds.Distinct().Order().ToArray();
        var command = (NpgsqlCommand)transaction.CreateCommand(
            $"INSERT INTO {store.QuotedSchema}.inbox (endpoint, message_id) SELECT $1, id FROM unnest($2) AS id ON CONFLICT DO NOTHING RETURNING message_id");
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = endpoint });
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = sorted });
        var inserted = await ReadIdsAsync(command, cancellationToken).ConfigureAwait(false);
        var already = new HashSet<Guid>(sorted);
        already.ExceptWith(inserted);
        return already;
    }

    private static async Task<HashSet<Guid>> ReadIdsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var ids = new HashSet<Guid>();
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            ids.Add(reader.GetGuid(0));
        }

        return ids;
    }

    /// <inheritdoc />
    public async Task<int> PurgeAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default)
    {
        var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        var command = new NpgsqlCommand($"DELETE FROM {store.QuotedSchema}.inbox WHERE handled_at < $1", connection);
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = olderThan.ToUniversalTime() });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
