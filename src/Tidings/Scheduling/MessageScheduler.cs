using Tidings.Pipeline;
using Tidings.Stores;
using Tidings.Transport;

namespace Tidings;

/// <summary>
/// Builds the message through the send pipeline (name, serialize, envelope) and stores it with <see cref="IScheduleStore"/>,
/// in the ambient effectively-once transaction if there is one, else in one of its own.
/// </summary>
internal sealed class MessageScheduler(BusRuntime runtime, ITransactionalStore store, IScheduleStore schedules, ScheduleWake wake, TimeProvider time)
    : IMessageScheduler
{
    public async Task<Guid> ScheduleAsync<T>(string destination, T message, DateTimeOffset dueAt, SendOptions? options = null, CancellationToken cancellationToken = default)
        where T : notnull
    {
        var id = Guid.Empty;
        // The relay is woken once the schedule has committed (it would find nothing before).
        await InTransactionAsync(async tx => id = await ScheduleInAsync(tx, destination, message, dueAt, options, cancellationToken).ConfigureAwait(false), cancellationToken)
            .ConfigureAwait(false);
        return id;
    }

    public async Task<bool> CancelAsync(Guid scheduleId, CancellationToken cancellationToken = default)
    {
        var cancelled = false;
        await InTransactionAsync(async tx => cancelled = await CancelInAsync(tx, scheduleId, cancellationToken).ConfigureAwait(false), cancellationToken)
            .ConfigureAwait(false);
        return cancelled;
    }

    /// <summary>Schedules in <paramref name="transaction"/> (a transactional session's, say).</summary>
    internal async Task<Guid> ScheduleInAsync<T>(StoreTransaction transaction, string destination, T message, DateTimeOffset dueAt, SendOptions? options, CancellationToken cancellationToken)
        where T : notnull
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(destination);
        var outgoing = await CapturingDispatcher.BuildAsync(runtime.SendPipeline, message, typeof(T), destination, options, null, cancellationToken)
            .ConfigureAwait(false);
        var now = time.GetUtcNow();
        var scheduled = new ScheduledMessage(Guid.CreateVersion7(now), dueAt, outgoing, now);
        await schedules.ScheduleAsync(transaction, scheduled, cancellationToken).ConfigureAwait(false);
        transaction.OnCommitted(wake.Set);
        return scheduled.Id;
    }

    /// <summary>Cancels in <paramref name="transaction"/>.</summary>
    internal Task<bool> CancelInAsync(StoreTransaction transaction, Guid scheduleId, CancellationToken cancellationToken) =>
        schedules.CancelAsync(transaction, scheduleId, cancellationToken);

    private async Task InTransactionAsync(Func<StoreTransaction, Task> work, CancellationToken cancellationToken)
    {
        if (StoreTransaction.Current is { } ambient)
        {
            await work(ambient).ConfigureAwait(false);
            return;
        }

        var transaction = await store.BeginAsync(cancellationToken).ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            await work(transaction).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>Wakes the schedule relay when this process has committed a schedule, which may be due before it would look again.</summary>
internal sealed class ScheduleWake
{
    private readonly WakeSignal _signal = new();

    public Task Ticket => _signal.Ticket;

    public void Set() => _signal.Set();
}
