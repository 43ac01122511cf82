namespace Tidings.Sqlite.Transport;

/// <summary>
/// The bus file's tables. One messages table holds every queue (dead-letter queues included, named
/// <c>{queue}.deadletter</c>); a message is visible when <c>visible_at</c> has passed and unleased or its lease expired,
/// which is the same condition since a lease moves <c>visible_at</c> to its end.
/// </summary>
internal static class BusSchema
{
    public const int Version = 2;

    /// <summary>Brings a bus file made by an earlier version up to this one. Idempotent.</summary>
    public const string MigrateAbandonedColumn = "ALTER TABLE messages ADD COLUMN abandoned INTEGER NOT NULL DEFAULT 0";

    public const string HasAbandonedColumn = "SELECT COUNT(*) FROM pragma_table_info('messages') WHERE name = 'abandoned'";

    public const string Create = """
        CREATE TABLE IF NOT EXISTS queues (
            name TEXT PRIMARY KEY
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS subscriptions (
            topic TEXT NOT NULL,
            queue TEXT NOT NULL,
            PRIMARY KEY (topic, queue)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS messages (
            id INTEGER PRIMARY KEY,
            queue TEXT NOT NULL,
            visible_at INTEGER NOT NULL,
            lease_owner INTEGER NULL,
            deliveries INTEGER NOT NULL DEFAULT 0,
            abandoned INTEGER NOT NULL DEFAULT 0,
            message_id TEXT NOT NULL,
            name TEXT NOT NULL,
            correlation_id TEXT NULL,
            causation_id TEXT NULL,
            sent_at INTEGER NOT NULL,
            content_type TEXT NOT NULL,
            headers TEXT NOT NULL,
            body BLOB NOT NULL
        );
        CREATE INDEX IF NOT EXISTS ix_messages_queue_visible ON messages (queue, visible_at, id);
        """;
}
