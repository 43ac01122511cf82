using Tidings.PostgreSql.Tests.Support;
using Tidings.Stores;
using Tidings.Transport.Contracts;

namespace Tidings.PostgreSql.Tests.Stores;

/// <summary>A schema of its own per test. Messages are not reserved for their committer here, so the contract sees them at once.</summary>
public sealed class PostgreSqlStoreFixture : IStoreFixture
{
    private static readonly TimeSpan ScheduleClaim = TimeSpan.FromSeconds(30);
    private readonly PostgreSqlStore _store;
    private readonly string _schema;

    // Scheduled messages are claimed when handed out, as the contract expects; outbox messages are not reserved.
    private readonly PostgreSqlStore _scheduling;

    public PostgreSqlStoreFixture()
    {
        var schema = Database.NewSchema();
        _schema = schema;
        _store = new PostgreSqlStore(Database.Options(schema));
        _scheduling = new PostgreSqlStore(Database.Options(schema, ScheduleClaim));
        Outbox = new PostgreSqlOutboxStore(_store);
        Inbox = new PostgreSqlInboxStore(_store);
        Sagas = new PostgreSqlSagaStore(_store);
        Schedules = new PostgreSqlScheduleStore(_scheduling);
        Idempotency = new PostgreSqlIdempotencyStore(_store);
        Inspector = new PostgreSqlStoreInspector(_scheduling);
    }

    public Tidings.Operations.IStoreInspector Inspector { get; }

    public ITransactionalStore Store => _store;

    public IOutboxStore Outbox { get; }

    public IInboxStore Inbox { get; }

    public ISagaStore Sagas { get; }

    public IScheduleStore Schedules { get; }

    public IIdempotencyStore Idempotency { get; }

    public void UseStore(TidingsBuilder tidings) => tidings.UsePostgreSqlStore(Database.Options(_schema) with { ClaimDuration = TimeSpan.FromSeconds(30) });

    public async ValueTask DisposeAsync()
    {
        await _scheduling.DisposeAsync();
        await _store.DisposeAsync();
    }
}

public sealed class PostgreSqlStoreContract : StoreContract<PostgreSqlStoreFixture>;
