using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Tidings.Sqlite;

namespace Tidings.Testing;

/// <summary>Adds the in-memory store to <see cref="TidingsBuilder"/>.</summary>
public static class TidingsBuilderTestingExtensions
{
    /// <summary>
    /// Keeps the outbox, inbox, saga state and scheduled messages in a private database in memory, gone when the host is
    /// disposed. It is the SQLite store on a memory-backed file (<c>/dev/shm</c> where the system has it), so commit,
    /// rollback, savepoints, isolation and constraints are SQLite's own, and a handler's SQL through
    /// <c>context.Transaction</c> runs as it does in production on SQLite. <see cref="SqliteStore"/> is registered.
    /// </summary>
    /// <remarks>
    /// Not SQLite's <c>:memory:</c> databases: several connections share one only through shared cache, whose table locks
    /// answer a conflict at once instead of waiting, so the store's side-by-side transactions would fail or stall where a
    /// real database waits. A file in memory has the locking of production.
    /// </remarks>
    public static TidingsBuilder UseInMemoryStore(this TidingsBuilder builder) => builder.UseInMemoryStore(new InMemoryStoreFiles());

    /// <summary>
    /// The in-memory store in <paramref name="files"/> (the store contract's fixture reads the same database). The host
    /// removes them when it is disposed unless <paramref name="keep"/> (the simulation restarts a crashed service on them).
    /// </summary>
    internal static TidingsBuilder UseInMemoryStore(this TidingsBuilder builder, InMemoryStoreFiles files, bool keep = false)
    {
        ArgumentNullException.ThrowIfNull(builder);

        // A hosted service registered before the store's own, so that it is resolved first and disposed last, after the
        // store has closed its connections (a factory, so that the container disposes it).
        if (!keep)
        {
            builder.Services.AddSingleton<IHostedService>(_ => files);
        }

        return builder.UseSqliteStore(new SqliteStoreOptions { Path = files.DatabasePath, DurableCommits = false });
    }
}

/// <summary>The folder of one in-memory store: on a memory file system where there is one; removed on dispose.</summary>
internal sealed class InMemoryStoreFiles : IHostedService, IDisposable
{
    private const string SharedMemory = "/dev/shm";
    private readonly string _folder;

    public InMemoryStoreFiles()
    {
        var root = Directory.Exists(SharedMemory) ? SharedMemory : Path.GetTempPath();
        _folder = Path.Combine(root, "tidings-test-" + Guid.NewGuid().ToString("N"));
        DatabasePath = Path.Combine(_folder, "store.db");
    }

    public string DatabasePath { get; }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        try
        {
            if (Directory.Exists(_folder))
            {
                Directory.Delete(_folder, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A connection the test leaked still holds the file: it goes with the machine's next clean-up of /dev/shm or temp.
        }
    }
}
