using Microsoft.Data.Sqlite;

namespace Tidings.Sqlite.Transport;

/// <summary>
/// One piece of work for the bus writer. Operations queued together commit in one transaction (group commit).
/// An operation checks what can be refused (an unroutable destination) before it writes anything, so a refused
/// operation leaves no trace and the others still commit; any other failure fails the whole transaction.
/// </summary>
internal abstract class WriteOperation
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Completion => _done.Task;

    /// <summary>True if other processes' receivers should be woken after the commit (new or returned messages).</summary>
    public virtual bool MakesMessagesVisible => false;

    public abstract void Execute(BusCommands commands, long nowMs);

    public virtual void Succeed() => _done.TrySetResult();

    public void Fail(Exception exception) => _done.TrySetException(exception);
}
