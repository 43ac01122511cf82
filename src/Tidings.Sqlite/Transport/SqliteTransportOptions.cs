namespace Tidings.Sqlite;

/// <summary>Settings of the SQLite transport.</summary>
public sealed record SqliteTransportOptions
{
    /// <summary>The bus file, shared by every process of the host, e.g. <c>data/bus.db</c>.</summary>
    public required string Path { get; init; }

    /// <summary>
    /// Durable commits (<c>synchronous=FULL</c>): a sent message survives a power cut. False uses <c>NORMAL</c>,
    /// which survives a process crash but may lose the last commits on power loss. Default true.
    /// </summary>
    public bool DurableCommits { get; init; } = true;

    /// <summary>How often idle receivers look for work no wake-up told them of. Default 100 ms.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long to wait for another process's write lock before failing. Default 30 s.</summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a temporary queue (a process's reply queue) outlives its process. A live process renews its temporary
    /// queues every third of this and drops them when it stops; any process drops, with their messages, those whose
    /// process died without stopping (<c>kill -9</c>): at most this and a third of it after the death. Default 1 minute.
    /// </summary>
    public TimeSpan TemporaryQueueExpiry { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>The most operations committed in one transaction (group commit). Default 256.</summary>
    public int MaxOperationsPerCommit { get; init; } = 256;
}
