using Tidings.Transport;

namespace Tidings.Stores;

/// <summary>
/// Messages to send at a later time (a saga's deadline, say), kept in the service's own database: scheduled and
/// cancelled inside a unit of work, so they exist if and only if it commits, and taken out when due.
/// </summary>
public interface IScheduleStore
{
    /// <summary>Schedules <paramref name="scheduled"/> inside <paramref name="transaction"/>.</summary>
    Task ScheduleAsync(StoreTransaction transaction, ScheduledMessage scheduled, CancellationToken cancellationToken = default);

    /// <summary>Cancels a scheduled message inside <paramref name="transaction"/>. False if it is gone already (sent or cancelled).</summary>
    Task<bool> CancelAsync(StoreTransaction transaction, Guid scheduleId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The messages due now (by the database's clock where it has one), earliest first. A store shared by several
    /// instances hands each due message to one of them for a while (a claim), as the outbox does.
    /// </summary>
    Task<IReadOnlyList<ScheduledMessage>> FetchDueAsync(int maxMessages, CancellationToken cancellationToken = default);

    /// <summary>
    /// How long until the next message not yet handed out is due, by the store's clock (the database's where it has one;
    /// negative when one is overdue), or null if none is scheduled. A span rather than an instant, so that a caller whose
    /// clock differs from the store's waits the right time.
    /// </summary>
    Task<TimeSpan?> NextDueInAsync(CancellationToken cancellationToken = default);

    /// <summary>Removes messages that were sent, in a transaction of its own.</summary>
    Task RemoveAsync(IReadOnlyList<Guid> scheduleIds, CancellationToken cancellationToken = default);
}

/// <summary>A message to send at <paramref name="DueAt"/>; <paramref name="Id"/> cancels it.</summary>
/// <param name="Id">Cancels it.</param>
/// <param name="DueAt">When it is due, by the clock of the service that scheduled it.</param>
/// <param name="Message">What to send, and where.</param>
/// <param name="ScheduledAt">
/// When it was scheduled, by the same clock: a store with a clock of its own (a database server's) keeps the span from
/// then to <paramref name="DueAt"/> on its own clock, so a scheduling service whose clock runs behind never makes a
/// message fire early. Null: <paramref name="DueAt"/> is taken as it is.
/// </param>
public sealed record ScheduledMessage(Guid Id, DateTimeOffset DueAt, OutgoingMessage Message, DateTimeOffset? ScheduledAt = null);
