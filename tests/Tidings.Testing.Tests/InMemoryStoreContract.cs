using Microsoft.Extensions.DependencyInjection;
using Tidings.Operations;
using Tidings.Stores;
using Tidings.Transport.Contracts;

namespace Tidings.Testing.Tests;

/// <summary>The in-memory store, on the same contract as the SQLite and PostgreSQL stores, as UseInMemoryStore registers it.</summary>
public sealed class InMemoryStoreFixture : IStoreFixture
{
    private readonly InMemoryStoreFiles _files = new();
    private readonly ServiceProvider _services;

    public InMemoryStoreFixture()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddTidings(t => t.UseInMemoryTransport().UseInMemoryStore(_files, keep: true));
        _services = services.BuildServiceProvider();
    }

    public IStoreInspector Inspector => _services.GetRequiredService<IStoreInspector>();

    public ITransactionalStore Store => _services.GetRequiredService<ITransactionalStore>();

    public IOutboxStore Outbox => _services.GetRequiredService<IOutboxStore>();

    public IInboxStore Inbox => _services.GetRequiredService<IInboxStore>();

    public ISagaStore Sagas => _services.GetRequiredService<ISagaStore>();

    public IScheduleStore Schedules => _services.GetRequiredService<IScheduleStore>();

    public IIdempotencyStore Idempotency => _services.GetRequiredService<IIdempotencyStore>();

    public void UseStore(TidingsBuilder tidings) => tidings.UseInMemoryStore(_files, keep: true);

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        _files.Dispose();
    }
}

public sealed class InMemoryStoreContract : StoreContract<InMemoryStoreFixture>;
