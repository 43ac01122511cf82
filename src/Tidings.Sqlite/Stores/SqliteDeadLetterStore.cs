using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using Tidings.DeadLetters;
using Tidings.Stores;

namespace Tidings.Sqlite;

/// <summary>
/// Dead letters in the service's own SQLite database (the tidings_dead_letters table), moved there from a broker's
/// dead-letter queues. Lists are keyset pages on indexes; counts and groups read the indexes alone.
/// </summary>
public sealed class SqliteDeadLetterStore(SqliteStore store, TimeProvider? timeProvider = null) : IDeadLetterStore
{
    private const string Columns = "id, dead_lettered_at, " + OutgoingColumns.Names;
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    /// <inheritdoc />
    public Task IngestAsync(IReadOnlyList<IngestedDeadLetter> deadLetters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(deadLetters);
        if (deadLetters.Count == 0)
        {
            return Task.CompletedTask;
        }

        var now = _time.GetUtcNow();
        return store.WriteAsync(connection =>
        {
            // One batch is one transaction: all of it is stored, or none. A fingerprint seen before is the same failure delivered again.
            using var transaction = connection.BeginTransaction();
            using var insert = new RawStatement(connection, $"""
                INSERT INTO tidings_dead_letters (fingerprint, dead_lettered_at, reason, exception_type, user_frame, {OutgoingColumns.Names})
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
                ON CONFLICT (fingerprint) DO NOTHING
                """);
            foreach (var deadLetter in deadLetters)
            {
                var row = DeadLetter.Of("", deadLetter.Envelope);
                var key = row.Group;
                insert.Bind(1, deadLetter.Fingerprint)
                    .Bind(2, (row.DeadLetteredAt ?? now).ToUnixTimeMilliseconds())
                    .Bind(3, key.Reason)
                    .Bind(4, key.ExceptionType)
                    .Bind(5, key.UserFrame)
                    .Bind(6, (int)Tidings.Transport.DestinationKind.Queue)
                    .Bind(7, deadLetter.Endpoint)
                    .Bind(8, (long?)null)
                    .BindEnvelope(9, deadLetter.Envelope)
                    .Execute();
            }

            transaction.Commit();
            return deadLetters.Count;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<DeadLetterPage> ListAsync(DeadLetterQuery query, int limit = 50, string? after = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        using var connection = store.Open();
        using var command = connection.CreateCommand();
        var sql = new StringBuilder($"SELECT {Columns} FROM tidings_dead_letters");
        Where(sql, command, query);
        if (after is not null)
        {
            var (at, id) = ParseCursor(after);
            sql.Append(" AND (dead_lettered_at, id) < ($after_at, $after_id)");
            command.Parameters.AddWithValue("$after_at", at);
            command.Parameters.AddWithValue("$after_id", id);
        }

        sql.Append(" ORDER BY dead_lettered_at DESC, id DESC LIMIT $limit");
        command.Parameters.AddWithValue("$limit", limit + 1);
        command.CommandText = sql.ToString();
        var rows = Read(command);
        if (rows.Count <= limit)
        {
            return Task.FromResult(new DeadLetterPage(rows.Select(r => r.DeadLetter).ToList(), null));
        }

        var last = rows[limit - 1];
        var next = string.Create(CultureInfo.InvariantCulture, $"{last.At}:{last.DeadLetter.Id}");
        return Task.FromResult(new DeadLetterPage(rows.Take(limit).Select(r => r.DeadLetter).ToList(), next));
    }

    /// <inheritdoc />
    public Task<DeadLetter?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var rowId))
        {
            return Task.FromResult<DeadLetter?>(null);
        }

        using var connection = store.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM tidings_dead_letters WHERE id = $id";
        command.Parameters.AddWithValue("$id", rowId);
        return Task.FromResult<DeadLetter?>(Read(command).SingleOrDefault().DeadLetter);
    }

    /// <inheritdoc />
    public Task<long> CountAsync(DeadLetterQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        using var connection = store.Open();
        using var command = connection.CreateCommand();
        var sql = new StringBuilder("SELECT COUNT(*) FROM tidings_dead_letters");
        Where(sql, command, query);
        command.CommandText = sql.ToString();
        return Task.FromResult((long)command.ExecuteScalar()!);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<FailureGroup>> GroupsAsync(DeadLetterQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        using var connection = store.Open();
        using var command = connection.CreateCommand();
        var sql = new StringBuilder("SELECT reason, exception_type, user_frame, COUNT(*), MIN(dead_lettered_at), MAX(dead_lettered_at), destination FROM tidings_dead_letters");
        Where(sql, command, query);
        sql.Append(" GROUP BY destination, reason, exception_type, user_frame");
        command.CommandText = sql.ToString();
        var parts = new List<(FailureGroupKey Key, long Count, long First, long Last, string Endpoint)>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                parts.Add((new FailureGroupKey(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2)),
                    reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetString(6)));
            }
        }

        return Task.FromResult<IReadOnlyList<FailureGroup>>(parts
            .GroupBy(p => p.Key)
            .Select(g => new FailureGroup(g.Key, g.Sum(p => p.Count), DateTimeOffset.FromUnixTimeMilliseconds(g.Min(p => p.First)),
                DateTimeOffset.FromUnixTimeMilliseconds(g.Max(p => p.Last)), g.Select(p => p.Endpoint).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList()))
            .OrderByDescending(g => g.Count)
            .ThenBy(g => g.Id, StringComparer.Ordinal)
            .ToList());
    }

    /// <inheritdoc />
    public Task<long> LastIdAsync(CancellationToken cancellationToken = default)
    {
        using var connection = store.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(MAX(id), 0) FROM tidings_dead_letters";
        return Task.FromResult((long)command.ExecuteScalar()!);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<TakenDeadLetter>> TakeAsync(
        StoreTransaction transaction, DeadLetterSelection selection, long afterId, long upToId, int max, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(selection);
        await transaction.PrepareToWriteAsync(cancellationToken).ConfigureAwait(false);
        using var command = (SqliteCommand)transaction.CreateCommand("");
        var sql = new StringBuilder("DELETE FROM tidings_dead_letters WHERE id IN (SELECT id FROM tidings_dead_letters");
        if (selection.Query is { } query)
        {
            Where(sql, command, query);
        }
        else
        {
            sql.Append(" WHERE id IN (SELECT value FROM json_each($ids))");
            var ids = selection.Ids!.Select(i => long.TryParse(i, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1).Where(n => n > 0);
            command.Parameters.AddWithValue("$ids", "[" + string.Join(',', ids.Select(n => n.ToString(CultureInfo.InvariantCulture))) + "]");
        }

        sql.Append(" AND id > $after AND id <= $up_to ORDER BY id LIMIT $max) RETURNING ").Append(Columns);
        command.Parameters.AddWithValue("$after", afterId);
        command.Parameters.AddWithValue("$up_to", upToId);
        command.Parameters.AddWithValue("$max", max);
        command.CommandText = sql.ToString();
        var taken = new List<TakenDeadLetter>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                var message = OutgoingColumns.Read(reader, 2);
                taken.Add(new TakenDeadLetter(reader.GetInt64(0), message.Destination.Name, message.Envelope));
            }
        }

        return taken;
    }

    /// <summary>Appends <c>WHERE …</c> (always at least <c>1</c>) for <paramref name="query"/>, with its parameters.</summary>
    private static void Where(StringBuilder sql, SqliteCommand command, DeadLetterQuery query)
    {
        sql.Append(" WHERE 1");
        void Equal(string column, string name, string? value)
        {
            if (value is null)
            {
                sql.Append(" AND ").Append(column).Append(" IS NULL");
                return;
            }

            sql.Append(" AND ").Append(column).Append(" = ").Append(name);
            command.Parameters.AddWithValue(name, value);
        }

        if (query.Endpoint is { } endpoint)
        {
            Equal("destination", "$endpoint", endpoint);
        }

        if (query.Group is { } group)
        {
            Equal("reason", "$group_reason", group.Reason);
            Equal("exception_type", "$group_type", group.ExceptionType);
            Equal("user_frame", "$group_frame", group.UserFrame);
        }

        if (query.Reason is { } reason)
        {
            Equal("reason", "$reason", reason);
        }

        if (query.ExceptionType is { } type)
        {
            Equal("exception_type", "$type", type);
        }

        if (query.MessageName is { } name)
        {
            Equal("name", "$name", name);
        }

        if (query.Since is { } since)
        {
            sql.Append(" AND dead_lettered_at >= $since");
            command.Parameters.AddWithValue("$since", since.ToUnixTimeMilliseconds());
        }

        if (query.Until is { } until)
        {
            sql.Append(" AND dead_lettered_at < $until");
            command.Parameters.AddWithValue("$until", until.ToUnixTimeMilliseconds());
        }
    }

    private static List<(DeadLetter DeadLetter, long At)> Read(SqliteCommand command)
    {
        var rows = new List<(DeadLetter, long)>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var message = OutgoingColumns.Read(reader, 2);
            rows.Add((new DeadLetter(reader.GetInt64(0).ToString(CultureInfo.InvariantCulture), message.Destination.Name, message.Envelope), reader.GetInt64(1)));
        }

        return rows;
    }

    private static (long At, long Id) ParseCursor(string cursor)
    {
        var parts = cursor.Split(':');
        return parts.Length == 2 && long.TryParse(parts[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var at)
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            ? (at, id)
            : throw new ArgumentException($"'{cursor}' is not a cursor of this store's dead letters.", nameof(cursor));
    }
}
