using System.Data.Common;
using Tidings.Stores;

namespace Tidings.Simulation;

/// <summary>
/// Joins every unit of work of a service and, as the seed says, fails it at its end, before the commit: the database
/// refused the write (a full disk, a lost connection). The unit of work rolls back and its message is tried again.
/// </summary>
internal sealed class FlakyDatabase(Plans plans, string service) : IUnitOfWorkParticipant
{
    public ValueTask EnlistAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    public ValueTask CompleteAsync(CancellationToken cancellationToken = default)
    {
        if (plans.Faults is { } faults && faults.Strike(0.02))
        {
            faults.Note($"the database of {service} failed a unit of work");
            throw new SimulatedFaultException($"The database of {service} refused the write.");
        }

        return ValueTask.CompletedTask;
    }
}
