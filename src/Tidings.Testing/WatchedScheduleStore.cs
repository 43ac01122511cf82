using Tidings.Stores;

namespace Tidings.Testing;

/// <summary>The host's schedule store, telling the harness of each message scheduled once its transaction commits.</summary>
internal sealed class WatchedScheduleStore(IScheduleStore inner, HarnessLog log, WorkTracker tracker) : IScheduleStore
{
    public async Task ScheduleAsync(StoreTransaction transaction, ScheduledMessage scheduled, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        await inner.ScheduleAsync(transaction, scheduled, cancellationToken).ConfigureAwait(false);
        transaction.OnCommitted(() => log.Scheduled(scheduled));
    }

    public Task<bool> CancelAsync(StoreTransaction transaction, Guid scheduleId, CancellationToken cancellationToken = default) =>
        inner.CancelAsync(transaction, scheduleId, cancellationToken);

    public Task<IReadOnlyList<ScheduledMessage>> FetchDueAsync(int maxMessages, CancellationToken cancellationToken = default) =>
        inner.FetchDueAsync(maxMessages, cancellationToken);

    public Task<TimeSpan?> NextDueInAsync(CancellationToken cancellationToken = default) => inner.NextDueInAsync(cancellationToken);

    public async Task RemoveAsync(IReadOnlyList<Guid> scheduleIds, CancellationToken cancellationToken = default)
    {
        await inner.RemoveAsync(scheduleIds, cancellationToken).ConfigureAwait(false);
        tracker.Touch();
    }
}
