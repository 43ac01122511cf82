namespace Tidings.Sqlite.Stores;

/// <summary>The tables Tidings keeps in a service's own SQLite database, beside the service's tables.</summary>
internal static class StoreSchema
{
    // The columns of an outgoing message, in the outbox and the schedules tables alike (OutgoingColumns reads them).
    private const string MessageColumns = """
        destination_kind INTEGER NOT NULL,
                    destination TEXT NOT NULL,
                    deliver_at INTEGER NULL,
                    message_id TEXT NOT NULL,
                    name TEXT NOT NULL,
                    correlation_id TEXT NULL,
                    causation_id TEXT NULL,
                    sent_at INTEGER NOT NULL,
                    content_type TEXT NOT NULL,
                    headers TEXT NOT NULL,
                    body BLOB NOT NULL
        """;

    // A message the transport refused (no queue receives it yet): how often, why, and when the relay may try it again.
    private const string ParkingColumns = """
        attempts INTEGER NOT NULL DEFAULT 0,
                    last_error TEXT NULL,
                    retry_at INTEGER NOT NULL DEFAULT 0
        """;

    /// <summary>What later versions added to a database made by an earlier one.</summary>
    public static readonly ColumnUpgrade[] Upgrades =
    [
        new("tidings_outbox", "attempts", "INTEGER NOT NULL DEFAULT 0"),
        new("tidings_outbox", "last_error", "TEXT NULL"),
        new("tidings_outbox", "retry_at", "INTEGER NOT NULL DEFAULT 0"),
    ];

    /// <summary>Indexes on columns a later version added: made after <see cref="Upgrades"/>.</summary>
    public const string IndexesOnUpgradedColumns =
        "CREATE INDEX IF NOT EXISTS ix_tidings_outbox_parked ON tidings_outbox (sent_at) WHERE attempts > 0;";

    public const string Create = $$"""
        CREATE TABLE IF NOT EXISTS tidings_outbox (
            sequence INTEGER PRIMARY KEY AUTOINCREMENT,
            {{MessageColumns}},
            {{ParkingColumns}}
        );
        CREATE TABLE IF NOT EXISTS tidings_inbox (
            endpoint TEXT NOT NULL,
            message_id TEXT NOT NULL,
            received_at INTEGER NOT NULL,
            PRIMARY KEY (endpoint, message_id)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS ix_tidings_inbox_received ON tidings_inbox (received_at);
        CREATE TABLE IF NOT EXISTS tidings_sagas (
            saga_name TEXT NOT NULL,
            correlation_id TEXT NOT NULL,
            data TEXT NOT NULL,
            version INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (saga_name, correlation_id)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS ix_tidings_sagas_status ON tidings_sagas (saga_name, json_extract(data, '$.status'), correlation_id);
        CREATE TABLE IF NOT EXISTS tidings_idempotency (
            scope TEXT NOT NULL,
            key TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            status_code INTEGER NOT NULL,
            location TEXT NULL,
            content_type TEXT NULL,
            body BLOB NOT NULL,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            PRIMARY KEY (scope, key)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS ix_tidings_idempotency_expires ON tidings_idempotency (expires_at);
        CREATE TABLE IF NOT EXISTS tidings_schedules (
            id TEXT PRIMARY KEY,
            due_at INTEGER NOT NULL,
            claimed_until INTEGER NOT NULL DEFAULT 0,
            {{MessageColumns}}
        );
        CREATE INDEX IF NOT EXISTS ix_tidings_schedules_due ON tidings_schedules (due_at);
        -- Dead letters moved here from a broker that cannot browse them (RabbitMQ). AUTOINCREMENT: no id is ever reused,
        -- so a replay's bound and a list's cursor never meet a new dead letter under an old id.
        CREATE TABLE IF NOT EXISTS tidings_dead_letters (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            fingerprint TEXT NOT NULL UNIQUE,
            dead_lettered_at INTEGER NOT NULL,
            reason TEXT NOT NULL,
            exception_type TEXT NULL,
            user_frame TEXT NULL,
            {{MessageColumns}}
        );
        CREATE INDEX IF NOT EXISTS ix_tidings_dead_letters_at ON tidings_dead_letters (dead_lettered_at, id);
        CREATE INDEX IF NOT EXISTS ix_tidings_dead_letters_endpoint_at ON tidings_dead_letters (destination, dead_lettered_at, id);
        -- A replay walks an endpoint or a failure group by id, so those indexes end in it (a range per batch, not a sort).
        CREATE INDEX IF NOT EXISTS ix_tidings_dead_letters_endpoint_id ON tidings_dead_letters (destination, id);
        CREATE INDEX IF NOT EXISTS ix_tidings_dead_letters_group ON tidings_dead_letters (destination, reason, exception_type, user_frame, id, dead_lettered_at);
        CREATE INDEX IF NOT EXISTS ix_tidings_dead_letters_failure_id ON tidings_dead_letters (reason, exception_type, user_frame, id);
        """;
}
