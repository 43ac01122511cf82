namespace Tidings.Sqlite.Transport;

/// <summary>
/// The bus file's tables. One messages table holds every queue (dead-letter queues included, named
/// <c>{queue}.deadletter</c>); a message is visible when <c>visible_at</c> has passed and unleased or its lease expired,
/// which is the same condition since a lease moves <c>visible_at</c> to its end. A row in a dead-letter queue has the
/// <c>dl_*</c> columns set (when, why, its failure group), and no other row has.
/// </summary>
internal static class BusSchema
{
    public const int Version = 4;

    /// <summary>What later versions added to a bus file made by an earlier one.</summary>
    public static readonly ColumnUpgrade[] Upgrades =
    [
        new("messages", "abandoned", "INTEGER NOT NULL DEFAULT 0"),
        // Version 3: a temporary queue (a process's reply queue) lives until then unless its process renews it.
        new("queues", "expires_at", "INTEGER NULL",
            // Reply queues of earlier versions were never removed: they expire now, and the next sweep drops them.
            "UPDATE queues SET expires_at = 0 WHERE name LIKE 'tidings.replies.%'"),
        // Version 4: a dead letter's when, why and failure group, as columns an operator's list and groups can index.
        // The rows already dead-lettered get them from their headers (DeadLetterColumns.Backfill).
        new("messages", "dl_at", "INTEGER NULL"),
        new("messages", "dl_reason", "TEXT NULL"),
        new("messages", "dl_exception_type", "TEXT NULL"),
        new("messages", "dl_frame", "TEXT NULL"),
    ];

    /// <summary>
    /// Indexes of the dead letters alone (partial: a row waiting in an ordinary queue has no <c>dl_at</c>, so the hot
    /// path of send, lease and ack never touches them). Made after the upgrades, which add the columns they index. Lists
    /// walk them by time; a replay or purge walks a queue or a failure group by row id, a batch at a time, so those two
    /// end in the id: each batch is a range, not a sort of everything left (in a trial with 100,000 dead letters, a replay
    /// of 10,000 by endpoint took 14 s that way). The group index carries <c>dl_at</c> after the id, so the groups' first and last times are read from it alone.
    /// </summary>
    public const string DeadLetterIndexes = """
        CREATE INDEX IF NOT EXISTS ix_dead_letters_at ON messages (dl_at, id) WHERE dl_at IS NOT NULL;
        CREATE INDEX IF NOT EXISTS ix_dead_letters_queue_at ON messages (queue, dl_at, id) WHERE dl_at IS NOT NULL;
        CREATE INDEX IF NOT EXISTS ix_dead_letters_queue_id ON messages (queue, id) WHERE dl_at IS NOT NULL;
        DROP INDEX IF EXISTS ix_dead_letters_group;
        CREATE INDEX IF NOT EXISTS ix_dead_letters_group_id ON messages (queue, dl_reason, dl_exception_type, dl_frame, id, dl_at) WHERE dl_at IS NOT NULL;
        CREATE INDEX IF NOT EXISTS ix_dead_letters_failure_id ON messages (dl_reason, dl_exception_type, dl_frame, id) WHERE dl_at IS NOT NULL;
        """;

    public const string Create = """
        CREATE TABLE IF NOT EXISTS queues (
            name TEXT PRIMARY KEY,
            expires_at INTEGER NULL
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
            dl_at INTEGER NULL,
            dl_reason TEXT NULL,
            dl_exception_type TEXT NULL,
            dl_frame TEXT NULL,
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
