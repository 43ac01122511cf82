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
        QueueExists = Make("SELECT 1 FROM queues WHERE name = $name", "$name");
        // Parameters by position: 1 owner, 2 lease end, 3 queue, 4 now, 5 max.
        Lease = new RawStatement(connection, """
            UPDATE messages SET lease_owner = ?1, visible_at = ?2, deliveries = deliveries + 1,
                abandoned = abandoned + (lease_owner IS NOT NULL)
            WHERE id IN (SELECT id FROM messages WHERE queue = ?3 AND visible_at <= ?4 ORDER BY visible_at, id LIMIT ?5)
            RETURNING id, deliveries, message_id, name, correlation_id, causation_id, sent_at, content_type, headers, body, abandoned
            """);
        NextVisible = Make("SELECT MIN(visible_at) FROM messages WHERE queue = $queue", "$queue");
        Ack = Make("DELETE FROM messages WHERE id IN (SELECT value FROM json_each($ids)) AND lease_owner = $owner", "$ids", "$owner");
        Return = Make("""
            UPDATE messages SET queue = $queue, visible_at = $visible_at, lease_owner = NULL, headers = $headers
            WHERE id = $id AND lease_owner = $owner
            """, "$queue", "$visible_at", "$headers", "$id", "$owner");
        Renew = Make("UPDATE messages SET visible_at = $until WHERE id = $id AND lease_owner = $owner", "$until", "$id", "$owner");
        DeclareQueue = Make("INSERT OR IGNORE INTO queues (name) VALUES ($name)", "$name");
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
    public SqliteCommand DeclareQueue { get; }
    public SqliteCommand Subscribe { get; }

    /// <summary>Forgets the queues seen in a transaction that rolled back (a declare may have been undone).</summary>
    public void ForgetKnownQueues() => _knownQueues.Clear();

    /// <summary>Queues known to exist; queues are never dropped, so a positive answer can be kept.</summary>
    public bool IsKnownQueue(string name)
    {
        if (_knownQueues.Contains(name))
        {
            return true;
        }

        QueueExists.Parameters[0].Value = name;
        if (QueueExists.ExecuteScalar() is null)
        {
            return false;
        }

        _knownQueues.Add(name);
        return true;
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
