using System.Text;
using System.Text.Json;
using Tidings.DeadLetters;
using Tidings.Transport;

namespace Tidings.Sqlite.Transport;

/// <summary>
/// Replays or purges one batch of dead letters, in the writer's transaction: all of the batch or none of it. A replay
/// moves each row back to the queue it failed on, its headers made ready by <see cref="DeadLetterReplay"/> and its
/// delivery counts reset, so the row that failed is the row that goes back: nothing to lose, nothing to double.
/// </summary>
/// <param name="selection">What to move.</param>
/// <param name="afterId">Rows up to this id were seen by the batches before: a dead letter that failed again meanwhile keeps its id and is not taken again.</param>
/// <param name="purge">Delete the rows instead of replaying them.</param>
internal sealed class DeadLetterMoveOperation(DeadLetterSelection selection, long afterId, bool purge) : WriteOperation
{
    /// <summary>The largest row id this batch looked at, or null if it found none.</summary>
    public long? LastId { get; private set; }

    public long Moved { get; private set; }

    public long QueueMissing { get; private set; }

    public override bool MakesMessagesVisible => !purge && Moved > 0;

    public override void Execute(BusCommands commands, long nowMs)
    {
        LastId = null;
        Moved = QueueMissing = 0;
        var rows = new List<(long Id, string Queue, string Headers)>();
        using (var select = commands.Connection.CreateCommand())
        {
            var sql = new StringBuilder("SELECT id, queue, headers FROM messages");
            if (selection.Query is { } query)
            {
                DeadLetterSql.Where(sql, select, query);
            }
            else
            {
                sql.Append(" WHERE dl_at IS NOT NULL AND id IN (SELECT value FROM json_each($ids))");
                select.Parameters.AddWithValue("$ids", JsonSerializer.Serialize(selection.Ids!.Select(DeadLetterSql.RowId).OfType<long>()));
            }

            sql.Append(" AND id > $after ORDER BY id LIMIT $limit");
            select.Parameters.AddWithValue("$after", afterId);
            select.Parameters.AddWithValue("$limit", DeadLetterBatch.Size);
            select.CommandText = sql.ToString();
            using var reader = select.ExecuteReader();
            while (reader.Read())
            {
                rows.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2)));
            }
        }

        if (rows.Count == 0)
        {
            return;
        }

        LastId = rows[^1].Id;
        using var write = commands.Connection.CreateCommand();
        write.CommandText = purge
            ? "DELETE FROM messages WHERE id = $id"
            : """
              UPDATE messages SET queue = $queue, headers = $headers, visible_at = $now, lease_owner = NULL, deliveries = 0, abandoned = 0,
                  dl_at = NULL, dl_reason = NULL, dl_exception_type = NULL, dl_frame = NULL
              WHERE id = $id
              """;
        var id = write.Parameters.Add("$id", Microsoft.Data.Sqlite.SqliteType.Integer);
        var queue = write.Parameters.Add("$queue", Microsoft.Data.Sqlite.SqliteType.Text);
        var headers = write.Parameters.Add("$headers", Microsoft.Data.Sqlite.SqliteType.Text);
        write.Parameters.AddWithValue("$now", nowMs);
        foreach (var row in rows)
        {
            id.Value = row.Id;
            if (!purge)
            {
                var origin = row.Queue.EndsWith(DeadLetterQueues.Suffix, StringComparison.Ordinal) ? row.Queue[..^DeadLetterQueues.Suffix.Length] : row.Queue;
                if (!commands.IsKnownQueue(origin))
                {
                    QueueMissing++;
                    continue;
                }

                queue.Value = origin;
                headers.Value = ReplayHeaders(row.Headers);
            }

            Moved += write.ExecuteNonQuery();
        }
    }

    /// <summary>The headers the row goes back with; a row whose headers are unreadable goes back with only the replay count.</summary>
    private static string ReplayHeaders(string json)
    {
        var envelope = new Envelope { MessageId = Guid.Empty, MessageName = "", Headers = DeadLetterColumns.ReadHeaders(json) };
        return HeaderJson.Write(DeadLetterReplay.Prepare(envelope));
    }
}
