using Tidings.Sqlite.Tests.Support;
using Tidings.Transport;
using Tidings.Transport.Contracts;

namespace Tidings.Sqlite.Tests.Stores;

/// <summary>A fresh service database file per test.</summary>
public sealed class SqliteStoreFixture : IStoreFixture
{
    private readonly TempDirectory _directory = new();

    public SqliteStoreFixture()
    {
        var store = new SqliteStore(new SqliteStoreOptions { Path = _directory.File("service.db") });
        Store = store;
        Outbox = new SqliteOutboxStore(store);
        Inbox = new SqliteInboxStore(store);
        Sagas = new SqliteSagaStore(store);
        Schedules = new SqliteScheduleStore(store);
        Idempotency = new SqliteIdempotencyStore(store);
        Inspector = new SqliteStoreInspector(store);
    }

    public Tidings.Operations.IStoreInspector Inspector { get; }

    public Tidings.Stores.ITransactionalStore Store { get; }

    public Tidings.Stores.IOutboxStore Outbox { get; }

    public Tidings.Stores.IInboxStore Inbox { get; }

    public Tidings.Stores.ISagaStore Sagas { get; }

    public Tidings.Stores.IScheduleStore Schedules { get; }

    public Tidings.Stores.IIdempotencyStore Idempotency { get; }

    public void UseStore(TidingsBuilder tidings) => tidings.UseSqliteStore(_directory.File("service.db"));

    public ValueTask DisposeAsync()
    {
        _directory.Dispose();
        return ValueTask.CompletedTask;
    }
}

public sealed class SqliteStoreContract : StoreContract<SqliteStoreFixture>;

/// <summary>What only the SQLite store does: its inbox takes time from a clock the tests control.</summary>
public sealed class SqliteStoreTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Inbox_clean_up_forgets_entries_older_than_the_retention_only()
    {
        var store = new SqliteStore(new SqliteStoreOptions { Path = _directory.File("service.db") });
        var clock = new ManualClock(DateTimeOffset.UtcNow.AddDays(-8));
        var inbox = new SqliteInboxStore(store, clock);

        await using (var transaction = await store.BeginAsync(Ct))
        {
            await inbox.TryRecordAsync(transaction, "cashier", Guid.CreateVersion7(), Ct);
            clock.Now = DateTimeOffset.UtcNow;
            await inbox.TryRecordAsync(transaction, "cashier", Guid.CreateVersion7(), Ct);
            await transaction.CommitAsync(Ct);
        }

        Assert.Equal(1, await inbox.PurgeAsync(DateTimeOffset.UtcNow.AddDays(-7), Ct));
        Assert.Equal(0, await inbox.PurgeAsync(DateTimeOffset.UtcNow.AddDays(-7), Ct));
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
