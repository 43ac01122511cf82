namespace Tidings.Sqlite;

/// <summary>Settings of the SQLite store: the service's own database file.</summary>
public sealed record SqliteStoreOptions
{
    /// <summary>The service's database file (not the bus file), e.g. <c>data/counter.db</c>.</summary>
    public required string Path { get; init; }

    /// <summary>Durable commits (<c>synchronous=FULL</c>). Default true.</summary>
    public bool DurableCommits { get; init; } = true;

    /// <summary>How long to wait for another connection's write lock. Default 30 s.</summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
