using Microsoft.Data.Sqlite;
using Tidings.DeadLetters;

namespace Tidings.Sqlite.Transport;

/// <summary>
/// The <c>dl_*</c> columns of a dead letter's row: when it was dead-lettered, why, and its failure group
/// (<see cref="FailureGroupKey"/>), kept beside the JSON headers so the operator's list and groups are index lookups.
/// </summary>
internal static class DeadLetterColumns
{
    /// <summary>
    /// Sets the four parameters <c>$dl_at</c>, <c>$dl_reason</c>, <c>$dl_exception_type</c>, <c>$dl_frame</c> from a dead
    /// letter's headers. Its time is the one its header says (as the PostgreSQL store keeps it), so that the list's order
    /// and filters agree with the time it shows; <paramref name="nowMs"/> if it has none.
    /// </summary>
    public static void Bind(SqliteParameterCollection parameters, IReadOnlyDictionary<string, string>? headers, long nowMs)
    {
        var key = FailureGroupKey.Of(headers ?? Empty);
        parameters["$dl_at"].Value = headers?.GetValueOrDefault(TidingsHeaders.DeadLetteredAt) is { } text
            && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind, out var at)
            ? at.ToUnixTimeMilliseconds() : nowMs;
        parameters["$dl_reason"].Value = key.Reason;
        parameters["$dl_exception_type"].Value = (object?)key.ExceptionType ?? DBNull.Value;
        parameters["$dl_frame"].Value = (object?)key.UserFrame ?? DBNull.Value;
    }

    /// <summary>Clears the four parameters: a row returned to its own queue is no dead letter.</summary>
    public static void Clear(SqliteParameterCollection parameters)
    {
        foreach (var name in Names)
        {
            parameters[name].Value = DBNull.Value;
        }
    }

    /// <summary>The parameter names, in the order the statements declare them.</summary>
    public static readonly string[] Names = ["$dl_at", "$dl_reason", "$dl_exception_type", "$dl_frame"];

    /// <summary>
    /// Fills the columns of dead letters that lack them, from their headers, whenever the writer opens the bus file: those
    /// of a file made by an earlier version, and those a process of an earlier version wrote during a rolling upgrade.
    /// Their time is when they became visible in the dead-letter queue, which is when they arrived. The queue index finds
    /// them; in a file that has none, this is one look per queue.
    /// </summary>
    public static void Backfill(SqliteConnection connection, SqliteTransaction transaction)
    {
        var rows = new List<(long Id, long VisibleAt, string Headers)>();
        using (var select = connection.CreateCommand())
        {
            select.Transaction = transaction;
            select.CommandText = """
                SELECT id, visible_at, headers FROM messages
                WHERE queue IN (SELECT name || $suffix FROM queues) AND dl_at IS NULL
                """;
            select.Parameters.AddWithValue("$suffix", Tidings.Transport.DeadLetterQueues.Suffix);
            using var reader = select.ExecuteReader();
            while (reader.Read())
            {
                rows.Add((reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2)));
            }
        }

        using var update = connection.CreateCommand();
        update.Transaction = transaction;
        update.CommandText = "UPDATE messages SET dl_at = $dl_at, dl_reason = $dl_reason, dl_exception_type = $dl_exception_type, dl_frame = $dl_frame WHERE id = $id";
        foreach (var name in Names)
        {
            update.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        update.Parameters.Add(new SqliteParameter { ParameterName = "$id" });
        foreach (var (id, visibleAt, headers) in rows)
        {
            Bind(update.Parameters, ReadHeaders(headers), visibleAt);
            update.Parameters["$id"].Value = id;
            update.ExecuteNonQuery();
        }
    }

    /// <summary>The headers, or none if they are not a JSON map of strings (a row written by a foreign tool).</summary>
    public static Dictionary<string, string>? ReadHeaders(string json)
    {
        try
        {
            return HeaderJson.Read(json);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static readonly Dictionary<string, string> Empty = new(StringComparer.Ordinal);
}
