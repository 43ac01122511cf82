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
        InsertToQueue = Make("""
            INSERT INTO messages (queue, visible_at, message_id, name, correlation_id, causation_id, sent_at, content_type, headers, body)
            VALUES ($queue, $visible_at, $message_id, $name, $correlation_id, $causation_id, $sent_at, $content_type, $headers, $body)
            """, "$queue", "$visible_at", "$message_id", "$name", "$correlation_id", "$causation_id", "$sent_at", "$content_type", "$headers", "$body");
        InsertToTopic = Make("""
            INSERT INTO messages (queue, visible_at, message_id, name, correlation_id, causation_id, sent_at, content_type, headers, body)
            SELECT queue, $visible_at, $message_id, $name, $correlation_id, $causation_id, $sent_at, $content_type, $headers, $body
            FROM subscriptions WHERE topic = $topic
            """, "$topic", "$visible_at", "$message_id", "$name", "$correlation_id", "$causation_id", "$sent_at", "$content_type", "$headers", "$body");
        QueueExists = Make("SELECT 1 FROM queues WHERE name = $name", "$name");
        Lease = Make("""
            UPDATE messages SET lease_owner = $owner, visible_at = $until, deliveries = deliveries + 1
            WHERE id IN (SELECT id FROM messages WHERE queue = $queue AND visible_at <= $now ORDER BY visible_at, id LIMIT $max)
            RETURNING id, deliveries, message_id, name, correlation_id, causation_id, sent_at, content_type, headers, body
            """, "$owner", "$until", "$queue", "$now", "$max");
        NextVisible = Make("SELECT MIN(visible_at) FROM messages WHERE queue = $queue", "$queue");
        Ack = Make("DELETE FROM messages WHERE id = $id AND lease_owner = $owner", "$id", "$owner");
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

    public SqliteCommand InsertToQueue { get; }
    public SqliteCommand InsertToTopic { get; }
    public SqliteCommand QueueExists { get; }
    public SqliteCommand Lease { get; }
    public SqliteCommand NextVisible { get; }
    public SqliteCommand Ack { get; }
    public SqliteCommand Return { get; }
    public SqliteCommand Renew { get; }
    public SqliteCommand DeclareQueue { get; }
    public SqliteCommand Subscribe { get; }

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
