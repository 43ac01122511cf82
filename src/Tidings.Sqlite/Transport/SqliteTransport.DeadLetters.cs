using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using Tidings.DeadLetters;
using Tidings.Sqlite.Transport;

namespace Tidings.Sqlite;

/// <summary>
/// The bus file's dead letters: the rows of its dead-letter queues. Lists and groups read the indexed <c>dl_*</c>
/// columns on a connection of their own; a replay or purge goes through the writer, one transaction per batch.
/// </summary>
public sealed partial class SqliteTransport : IDeadLetters
{
    /// <inheritdoc />
    /// <remarks>Newest first by the moment of dead-lettering; the cursor is that moment and the row id, so pages neither skip nor repeat.</remarks>
    public Task<DeadLetterPage> ListAsync(DeadLetterQuery query, int limit = 50, string? after = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        using var connection = OpenExisting();
        using var command = connection.CreateCommand();
        var sql = new StringBuilder("SELECT ").Append(DeadLetterSql.Columns).Append(", dl_at FROM messages");
        DeadLetterSql.Where(sql, command, query);
        if (after is not null)
        {
            var (at, id) = ParseCursor(after);
            sql.Append(" AND (dl_at, id) < ($after_at, $after_id)");
            command.Parameters.AddWithValue("$after_at", at);
            command.Parameters.AddWithValue("$after_id", id);
        }

        sql.Append(" ORDER BY dl_at DESC, id DESC LIMIT $limit");
        command.Parameters.AddWithValue("$limit", limit + 1);
        command.CommandText = sql.ToString();
        var items = new List<DeadLetter>(limit);
        string? next = null;
        using var reader = command.ExecuteReader();
        long lastAt = 0;
        while (reader.Read())
        {
            if (items.Count == limit)
            {
                next = FormattableString.Invariant($"{lastAt}:{items[^1].Id}");
                break;
            }

            lastAt = reader.GetInt64(DeadLetterSql.ColumnCount);
            items.Add(DeadLetterSql.Read(reader));
        }

        return Task.FromResult(new DeadLetterPage(items, next));
    }

    /// <inheritdoc />
    public Task<DeadLetter?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (DeadLetterSql.RowId(id) is not { } rowId)
        {
            return Task.FromResult<DeadLetter?>(null);
        }

        using var connection = OpenExisting();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {DeadLetterSql.Columns} FROM messages WHERE id = $id AND dl_at IS NOT NULL";
        command.Parameters.AddWithValue("$id", rowId);
        using var reader = command.ExecuteReader();
        return Task.FromResult(reader.Read() ? DeadLetterSql.Read(reader) : null);
    }

    /// <inheritdoc />
    public Task<long> CountAsync(DeadLetterQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        using var connection = OpenExisting();
        using var command = connection.CreateCommand();
        var sql = new StringBuilder("SELECT COUNT(*) FROM messages");
        DeadLetterSql.Where(sql, command, query);
        command.CommandText = sql.ToString();
        return Task.FromResult((long)command.ExecuteScalar()!);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<FailureGroup>> GroupsAsync(DeadLetterQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        using var connection = OpenExisting();
        using var command = connection.CreateCommand();
        // Grouped by queue first, in the order of the group index, so SQLite counts without sorting; queues merge below.
        var sql = new StringBuilder("SELECT queue, dl_reason, dl_exception_type, dl_frame, COUNT(*), MIN(dl_at), MAX(dl_at) FROM messages");
        DeadLetterSql.Where(sql, command, query);
        sql.Append(" GROUP BY queue, dl_reason, dl_exception_type, dl_frame");
        command.CommandText = sql.ToString();
        var parts = new List<(string Endpoint, FailureGroupKey Key, long Count, long First, long Last)>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                var queue = reader.GetString(0);
                var key = new FailureGroupKey(reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3));
                parts.Add((queue[..^Tidings.Transport.DeadLetterQueues.Suffix.Length], key, reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6)));
            }
        }

        IReadOnlyList<FailureGroup> groups = parts
            .GroupBy(p => p.Key)
            .Select(g => new FailureGroup(g.Key, g.Sum(p => p.Count),
                DateTimeOffset.FromUnixTimeMilliseconds(g.Min(p => p.First)), DateTimeOffset.FromUnixTimeMilliseconds(g.Max(p => p.Last)),
                g.Select(p => p.Endpoint).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList()))
            .OrderByDescending(g => g.Count)
            .ThenBy(g => g.Id, StringComparer.Ordinal)
            .ToList();
        return Task.FromResult(groups);
    }

    /// <inheritdoc />
    public async Task<ReplayOutcome> ReplayAsync(DeadLetterSelection selection, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        var (moved, missing) = await MoveAsync(selection, purge: false, progress, cancellationToken).ConfigureAwait(false);
        return new ReplayOutcome(moved, missing);
    }

    /// <inheritdoc />
    public async Task<long> PurgeAsync(DeadLetterSelection selection, IProgress<long>? progress = null, CancellationToken cancellationToken = default) =>
        (await MoveAsync(selection, purge: true, progress, cancellationToken).ConfigureAwait(false)).Moved;

    private async Task<(long Moved, long Missing)> MoveAsync(DeadLetterSelection selection, bool purge, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(selection);
        long moved = 0, missing = 0, after = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = new DeadLetterMoveOperation(selection, after, purge);
            await Writer.EnqueueAsync(batch).ConfigureAwait(false);
            if (batch.LastId is not { } last)
            {
                return (moved, missing);
            }

            after = last;
            moved += batch.Moved;
            missing += batch.QueueMissing;
            progress?.Report(moved);
        }
    }

    private static (long At, long Id) ParseCursor(string cursor)
    {
        var colon = cursor.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0
            && long.TryParse(cursor.AsSpan(0, colon), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var at)
            && long.TryParse(cursor.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            return (at, id);
        }

        throw new ArgumentException($"'{cursor}' is not a cursor of this list: pass the Next of the page before.", nameof(cursor));
    }
}
