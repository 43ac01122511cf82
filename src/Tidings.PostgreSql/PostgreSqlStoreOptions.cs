namespace Tidings.PostgreSql;

/// <summary>Settings of the PostgreSQL outbox and inbox.</summary>
public sealed record PostgreSqlStoreOptions
{
    /// <summary>The service's own database, e.g. <c>Host=db;Database=cashier;Username=cashier;Password=...</c>.</summary>
    public required string ConnectionString { get; init; }

    /// <summary>The schema of Tidings' tables, beside the service's own. Default <c>tidings</c>.</summary>
    public string Schema { get; init; } = "tidings";

    /// <summary>
    /// Create and migrate Tidings' tables on first use (idempotent, safe with several instances starting at once).
    /// False for teams that run their own migrations: <see cref="PostgreSqlSchema.Script"/> gives the SQL. Default true.
    /// </summary>
    public bool MigrateOnStart { get; init; } = true;

    /// <summary>
    /// How long an outbox message is reserved for the process that committed it (it sends it right after the commit),
    /// or for the relay that took it; after that any instance's relay may send it. Default 30 s.
    /// </summary>
    public TimeSpan ClaimDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How many of its most used statements each connection keeps prepared (Npgsql's <c>Max Auto Prepare</c>), unless the
    /// connection string says otherwise. A prepared statement skips PostgreSQL's parsing and planning: the inbox, outbox
    /// and handler statements run on every message, and preparing them raised effectively-once throughput by a third
    /// here. Set 0 behind a connection pooler that cannot keep prepared statements (PgBouncer before 1.21 in
    /// transaction mode). Default 32.
    /// </summary>
    public int MaxAutoPrepare { get; init; } = 32;
}
