using Microsoft.Data.Sqlite;

namespace Tidings.Sqlite.Transport;

/// <summary>The writer's prepared statements, made once per connection and reused with new parameter values.</summary>
internal sealed class BusCommands : IDisposable
{
    private readonly List<SqliteCommand> _all = [];
    private readonly HashSet<string> _knownQueues = new(StringComparer.Ordinal);

    public BusCommands(SqliteConnection connection)
    {
        Connection = connection;
        // Parameters by position: 1 queue or topic, 2 visible_at, 3 message_id, 4 name, 5 correlation_id,
        // 6 causation_id, 7 sent_at, 8 content_type, 9 headers, 10 body.
        InsertToQueue = new RawStatement(connection, """
            INSERT INTO messages (queue, visible_at, message_id, name, correlation_id, causation_id, sent_at, content_type, headers, body)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
            """);
        InsertToTopic = new RawStatement(connection, """
            INSERT INTO messages (queue, visible_at, message_id, name, correlation_id, causation_id, sent_at, content_type, headers, body)
            SELECT queue, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10 FROM subscriptions WHERE topic = ?1
            """);
        QueueExists = Make("SELECT expires_at IS NULL FROM queues WHERE name = $name", "$name");
        // Parameters by position: 1 owner, 2 lease end, 3 queue, 4 now, 5 max.
        Lease = new RawStatement(connection, """
            UPDATE messages SET lease_owner = ?1, visible_at = ?2, deliveries = deliveries + 1,
                abandoned = abandoned + (lease_owner IS NOT NULL)
            WHERE id IN (SELECT id FROM messages WHERE queue = ?3 AND visible_at <= ?4 ORDER BY visible_at, id LIMIT ?5)
            RETURNING id, deliveries, message_id, name, correlation_id, causation_id, sent_at, content_type, headers, body, abandoned
            """);
        NextVisible = Make("SELECT MIN(visible_at) FROM messages WHERE queue = $queue", "$queue");
        Ack = Make("DELETE FROM messages WHERE id IN (SELECT value FROM json_each($ids)) AND lease_owner = $owner", "$ids", "$owner");
        // A return to the queue clears the dead-letter columns, a move to the dead-letter queue sets them.
        Return = Make("""
            UPDATE messages SET queue = $queue, visible_at = $visible_at, lease_owner = NULL, headers = $headers,
                dl_at = $dl_at, dl_reason = $dl_reason, dl_exception_type = $dl_exception_type, dl_frame = $dl_frame
            WHERE id = $id AND lease_owner = $owner
            """, ["$queue", "$visible_at", "$headers", "$id", "$owner", .. DeadLetterColumns.Names]);
        MarkDeadLetter = Make("""
            UPDATE messages SET dl_at = $dl_at, dl_reason = $dl_reason, dl_exception_type = $dl_exception_type, dl_frame = $dl_frame
            WHERE id = $id
            """, ["$id", .. DeadLetterColumns.Names]);
        Renew = Make("UPDATE messages SET visible_at = $until WHERE id = $id AND lease_owner = $owner", "$until", "$id", "$owner");
        // A queue declared permanent once stays permanent; a temporary one gets its new expiry.
        DeclareQueue = Make("""
            INSERT INTO queues (name, expires_at) VALUES ($name, $expires_at)
            ON CONFLICT (name) DO UPDATE SET expires_at = CASE WHEN queues.expires_at IS NULL OR excluded.expires_at IS NULL THEN NULL ELSE excluded.expires_at END
            """, "$name", "$expires_at");
        // An upsert: a queue another process dropped while this one could not renew it (a long pause) comes back.
        RenewQueues = Make("""
            INSERT INTO queues (name, expires_at) SELECT value, $expires_at FROM json_each($names) WHERE true
            ON CONFLICT (name) DO UPDATE SET expires_at = excluded.expires_at WHERE queues.expires_at IS NOT NULL
            """, "$expires_at", "$names");
        ExpiredQueues = Make("SELECT name FROM queues WHERE expires_at < $now", "$now");
        DropQueues = Make("""
            DELETE FROM messages WHERE queue IN (SELECT value FROM json_each($names));
            DELETE FROM subscriptions WHERE queue IN (SELECT value FROM json_each($names));
            DELETE FROM queues WHERE name IN (SELECT value FROM json_each($names));
            """, "$names");
        Subscribe = Make("INSERT OR IGNORE INTO subscriptions (topic, queue) VALUES ($topic, $queue)", "$topic", "$queue");
    }

    public SqliteConnection Connection { get; }

    public SqliteTransaction? Transaction
    {
        set
        {
            foreach (var command in _all)
            {
                command.Transaction = value;
            }
        }
    }

    public RawStatement InsertToQueue { get; }
    public RawStatement InsertToTopic { get; }
    public SqliteCommand QueueExists { get; }
    public RawStatement Lease { get; }
    public SqliteCommand NextVisible { get; }
    public SqliteCommand Ack { get; }
    public SqliteCommand Return { get; }
    public SqliteCommand Renew { get; }
    /// <summary>Sets the dead-letter columns of a row sent straight to a dead-letter queue.</summary>
    public SqliteCommand MarkDeadLetter { get; }
    public SqliteCommand DeclareQueue { get; }
    public SqliteCommand RenewQueues { get; }
    public SqliteCommand ExpiredQueues { get; }
    public SqliteCommand DropQueues { get; }
    public SqliteCommand Subscribe { get; }

    /// <summary>Forgets the queues seen in a transaction that rolled back (a declare may have been undone).</summary>
    public void ForgetKnownQueues() => _knownQueues.Clear();

    /// <summary>
    /// Queues known to exist. A permanent queue is never dropped, so a positive answer is kept; a temporary one (a reply
    /// queue) may be dropped by any process, so it is looked up on every send.
    /// </summary>
    public bool IsKnownQueue(string name)
    {
        if (_knownQueues.Contains(name))
        {
            return true;
        }

        QueueExists.Parameters[0].Value = name;
        switch (QueueExists.ExecuteScalar())
        {
            case null:
                return false;
            case 1L:
                _knownQueues.Add(name);
                return true;
            default:
                return true;
        }
    }

    public void Dispose()
    {
        InsertToQueue.Dispose();
        InsertToTopic.Dispose();
        Lease.Dispose();
        foreach (var command in _all)
        {
            command.Dispose();
        }
    }

    private SqliteCommand Make(string sql, params string[] parameters)
    {
        var command = Connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        _all.Add(command);
        return command;
    }
}
