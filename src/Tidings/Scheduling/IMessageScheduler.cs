namespace Tidings;

/// <summary>
/// Schedules messages for later, durably, in the service's own database: they survive restarts, work on every
/// transport, and are sent once when due (by the first instance of the service to see them due). Called inside an
/// effectively-once handler, a schedule or a cancel joins the handler's unit of work: it happens if and only if the
/// handler's transaction commits. Called anywhere else, it commits in a transaction of its own.
/// </summary>
public interface IMessageScheduler
{
    /// <summary>Schedules <paramref name="message"/> to be sent to <paramref name="destination"/> at <paramref name="dueAt"/>; returns the id that cancels it.</summary>
    Task<Guid> ScheduleAsync<T>(string destination, T message, DateTimeOffset dueAt, SendOptions? options = null, CancellationToken cancellationToken = default)
        where T : notnull;

    /// <summary>Cancels a scheduled message. False if it is gone already (sent, or cancelled before).</summary>
    Task<bool> CancelAsync(Guid scheduleId, CancellationToken cancellationToken = default);
}
