using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using Tidings.DeadLetters;
using Tidings.Transport;

namespace Tidings.Sqlite.Transport;

/// <summary>
/// The bus file's dead-letter queries: a <see cref="DeadLetterQuery"/> as a WHERE clause over the <c>dl_*</c> columns
/// (always with <c>dl_at IS NOT NULL</c>, which lets SQLite use the partial indexes), and rows read back as dead letters.
/// </summary>
internal static class DeadLetterSql
{
    public const string Columns = "id, queue, deliveries, message_id, name, correlation_id, causation_id, sent_at, content_type, headers, body, abandoned";

    /// <summary>How many columns <see cref="Columns"/> names: the index of a column selected after them.</summary>
    public const int ColumnCount = 12;

    /// <summary>Appends the query's conditions (from <c>WHERE</c>) to <paramref name="sql"/>, adding their parameters to <paramref name="command"/>.</summary>
    public static void Where(StringBuilder sql, SqliteCommand command, DeadLetterQuery query)
    {
        sql.Append(" WHERE dl_at IS NOT NULL");
        if (query.Endpoint is { } endpoint)
        {
            Condition(sql, command, "queue = $queue", "$queue", DeadLetterQueues.For(endpoint));
        }

        if (query.Group is { } group)
        {
            Condition(sql, command, "dl_reason = $g_reason", "$g_reason", group.Reason);
            Condition(sql, command, "dl_exception_type IS $g_type", "$g_type", group.ExceptionType);
            Condition(sql, command, "dl_frame IS $g_frame", "$g_frame", group.UserFrame);
        }

        if (query.Reason is { } reason)
        {
            Condition(sql, command, "dl_reason = $reason", "$reason", reason);
        }

        if (query.ExceptionType is { } type)
        {
            Condition(sql, command, "dl_exception_type = $type", "$type", type);
        }

        if (query.MessageName is { } name)
        {
            Condition(sql, command, "name = $name", "$name", name);
        }

        if (query.Since is { } since)
        {
            Condition(sql, command, "dl_at >= $since", "$since", since.ToUnixTimeMilliseconds());
        }

        if (query.Until is { } until)
        {
            Condition(sql, command, "dl_at < $until", "$until", until.ToUnixTimeMilliseconds());
        }
    }

    /// <summary>A row (selected with <see cref="Columns"/>) as a dead letter; one no envelope can be made of is shown as what could be read.</summary>
    public static DeadLetter Read(SqliteDataReader reader)
    {
        var queue = reader.GetString(1);
        var row = new LeaseOperation.LeasedRow(
            reader.GetInt64(0), reader.GetInt32(2), reader.GetString(3), reader.GetString(4),
            reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6),
            reader.GetInt64(7), reader.GetString(8), reader.GetString(9), (byte[])reader.GetValue(10), reader.GetInt32(11));
        var endpoint = queue.EndsWith(DeadLetterQueues.Suffix, StringComparison.Ordinal) ? queue[..^DeadLetterQueues.Suffix.Length] : queue;
        return new DeadLetter(row.Id.ToString(CultureInfo.InvariantCulture), endpoint, row.ToEnvelopeOrQuarantine().Envelope);
    }

    /// <summary>The row id of a dead letter's id, or null if it cannot be one.</summary>
    public static long? RowId(string id) => long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var rowId) ? rowId : null;

    private static void Condition(StringBuilder sql, SqliteCommand command, string condition, string parameter, object? value)
    {
        sql.Append(" AND ").Append(condition);
        command.Parameters.AddWithValue(parameter, value ?? DBNull.Value);
    }
}
