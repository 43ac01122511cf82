using Tidings.PostgreSql.Tests.Support;
using Tidings.Stores;
using Tidings.Transport.Contracts;

namespace Tidings.PostgreSql.Tests.Stores;

/// <summary>A schema of its own per test. Messages are not reserved for their committer here, so the contract sees them at once.</summary>
public sealed class PostgreSqlStoreFixture : IStoreFixture
{
    private readonly PostgreSqlStore _store = new(Database.Options(Database.NewSchema()));

    public PostgreSqlStoreFixture()
    {
        Outbox = new PostgreSqlOutboxStore(_store);
        Inbox = new PostgreSqlInboxStore(_store);
    }

    public ITransactionalStore Store => _store;

    public IOutboxStore Outbox { get; }

    public IInboxStore Inbox { get; }

    public ValueTask DisposeAsync() => _store.DisposeAsync();
}

public sealed class PostgreSqlStoreContract : StoreContract<PostgreSqlStoreFixture>;
