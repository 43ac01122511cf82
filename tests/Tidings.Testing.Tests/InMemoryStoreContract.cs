using Tidings.Sqlite;
using Tidings.Transport.Contracts;

namespace Tidings.Testing.Tests;

/// <summary>The in-memory store, on the same contract as the SQLite and PostgreSQL stores.</summary>
public sealed class InMemoryStoreFixture : IStoreFixture
{
    private readonly InMemoryStoreFiles _files = new();
    private readonly SqliteStore _store;

    public InMemoryStoreFixture()
    {
        _store = new SqliteStore(new SqliteStoreOptions { Path = _files.DatabasePath, DurableCommits = false });
        Store = _store;
        Outbox = new SqliteOutboxStore(_store);
        Inbox = new SqliteInboxStore(_store);
        Sagas = new SqliteSagaStore(_store);
        Schedules = new SqliteScheduleStore(_store);
        Idempotency = new SqliteIdempotencyStore(_store);
        Inspector = new SqliteStoreInspector(_store);
    }

    public Tidings.Operations.IStoreInspector Inspector { get; }

    public Tidings.Stores.ITransactionalStore Store { get; }

    public Tidings.Stores.IOutboxStore Outbox { get; }

    public Tidings.Stores.IInboxStore Inbox { get; }

    public Tidings.Stores.ISagaStore Sagas { get; }

    public Tidings.Stores.IScheduleStore Schedules { get; }

    public Tidings.Stores.IIdempotencyStore Idempotency { get; }

    public void UseStore(TidingsBuilder tidings) => tidings.UseInMemoryStore(_files);

    public ValueTask DisposeAsync()
    {
        _store.Dispose();
        _files.Dispose();
        return ValueTask.CompletedTask;
    }
}

public sealed class InMemoryStoreContract : StoreContract<InMemoryStoreFixture>;
