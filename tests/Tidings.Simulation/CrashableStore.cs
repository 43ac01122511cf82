using Tidings.Stores;

namespace Tidings.Simulation;

/// <summary>
/// The service's database as a crashed process sees it: no commit of its goes through any more. Without this, the code
/// of a process the simulation has crashed would go on to commit what it had begun, which a dead process cannot.
/// </summary>
internal sealed class CrashableStore(ITransactionalStore inner, SimulatedService service) : ITransactionalStore
{
    public async ValueTask<StoreTransaction> BeginAsync(CancellationToken cancellationToken = default) =>
        Guard(await inner.BeginAsync(cancellationToken).ConfigureAwait(false));

    public async ValueTask<StoreTransaction> BeginOptimisticAsync(CancellationToken cancellationToken = default) =>
        Guard(await inner.BeginOptimisticAsync(cancellationToken).ConfigureAwait(false));

    private StoreTransaction Guard(StoreTransaction transaction)
    {
        transaction.OnCommitting(_ => service.Crashed ? throw new SimulatedCrashException(service.Name, "(no commit after the crash)") : Task.CompletedTask);
        return transaction;
    }
}
