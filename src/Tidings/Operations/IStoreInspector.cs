using Tidings.Stores;

namespace Tidings.Operations;

/// <summary>
/// What an operator asks of a service's store, beside its dead letters: how it stands (the outbox backlog, parked
/// outbox messages, scheduled messages, saga instances by status), and the parked outbox messages themselves, which can
/// be listed, retried and purged like dead letters. Each store implements it over its own tables.
/// </summary>
public interface IStoreInspector
{
    /// <summary>The store's counts now.</summary>
    Task<StoreStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default);

    /// <summary>Parked outbox messages (those the transport refused), oldest first, after the sequence <paramref name="after"/>.</summary>
    Task<IReadOnlyList<ParkedOutboxMessage>> ListParkedAsync(int limit = 50, long after = 0, CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes parked messages due now, their attempts and error cleared: the relay tries them on its next pass (and parks
    /// them again if the transport still refuses). Null <paramref name="sequences"/> means every parked message.
    /// </summary>
    Task<long> RetryParkedAsync(IReadOnlyCollection<long>? sequences, CancellationToken cancellationToken = default);

    /// <summary>Removes parked messages for good: they are never sent. Null <paramref name="sequences"/> means every parked message.</summary>
    Task<long> PurgeParkedAsync(IReadOnlyCollection<long>? sequences, CancellationToken cancellationToken = default);

    /// <summary>Scheduled messages not sent yet, soonest first, after the cursor <paramref name="after"/> a page returned.</summary>
    Task<ScheduledPage> ListScheduledAsync(int limit = 50, string? after = null, CancellationToken cancellationToken = default);
}

/// <summary>A store's counts at one moment.</summary>
/// <param name="Outbox">Messages committed to the outbox and not yet confirmed by the transport, parked ones included.</param>
/// <param name="Parked">Outbox messages the transport refused, waiting for their next try.</param>
/// <param name="ScheduledDue">Scheduled messages due now and not sent yet (a backlog if it grows).</param>
/// <param name="ScheduledPending">Scheduled messages due later.</param>
/// <param name="Sagas">Saga instances by saga and status.</param>
public sealed record StoreStatistics(OutboxBacklog Outbox, ParkedMessages Parked, long ScheduledDue, long ScheduledPending, IReadOnlyList<SagaCount> Sagas);

/// <summary>How many instances of one saga are in one status.</summary>
public readonly record struct SagaCount(string Saga, SagaStatus Status, long Count);

/// <summary>An outbox message the transport refused, and why.</summary>
/// <param name="Sequence">Its place in the outbox, which names it to retry or purge.</param>
/// <param name="Destination">The queue or topic it is for.</param>
/// <param name="MessageName">Its message name.</param>
/// <param name="MessageId">Its message id.</param>
/// <param name="SentAt">When it was committed.</param>
/// <param name="Attempts">How often the transport refused it.</param>
/// <param name="LastError">The transport's last reason.</param>
/// <param name="NextAttemptAt">When the relay tries it again.</param>
public sealed record ParkedOutboxMessage(long Sequence, string Destination, string MessageName, Guid MessageId, DateTimeOffset SentAt, int Attempts,
    string? LastError, DateTimeOffset? NextAttemptAt);

/// <summary>A scheduled message not sent yet.</summary>
/// <param name="Id">The schedule id, which <see cref="IMessageScheduler.CancelAsync"/> takes.</param>
/// <param name="DueAt">When it is due.</param>
/// <param name="Destination">The queue or topic it is for.</param>
/// <param name="MessageName">Its message name.</param>
/// <param name="MessageId">Its message id.</param>
public sealed record ScheduledSummary(Guid Id, DateTimeOffset DueAt, string Destination, string MessageName, Guid MessageId);

/// <summary>A page of scheduled messages, and the cursor of the next (null at the end).</summary>
public sealed record ScheduledPage(IReadOnlyList<ScheduledSummary> Items, string? Next);
