using Tidings.Transport;

namespace Tidings.Stores;

/// <summary>Messages waiting to leave, written in the same transaction as the data that caused them.</summary>
public interface IOutboxStore
{
    /// <summary>Adds messages inside <paramref name="transaction"/>; they leave only if it commits. Returns them with their positions.</summary>
    Task<IReadOnlyList<OutboxEntry>> AddAsync(StoreTransaction transaction, IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken = default);

    /// <summary>
    /// The oldest committed messages, in the order they were added, leaving out parked messages whose wait
    /// (<see cref="ParkAsync"/>) has not run out.
    /// </summary>
    Task<IReadOnlyList<OutboxEntry>> FetchAsync(int maxMessages, CancellationToken cancellationToken = default);

    /// <summary>
    /// Parks messages the transport refused (no queue receives them yet): each keeps <paramref name="reason"/> and one
    /// more attempt, and <see cref="FetchAsync"/> leaves it out until its own wait, from <paramref name="backoff"/> and its
    /// attempt count, has run out. Parked messages never keep other messages from being read.
    /// </summary>
    Task ParkAsync(IReadOnlyList<OutboxEntry> entries, string reason, OutboxBackoff backoff, CancellationToken cancellationToken = default);

    /// <summary>How many messages are parked, and since when the oldest of them waits.</summary>
    Task<ParkedMessages> CountParkedAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// How many messages wait in the outbox, parked or not, and since when the oldest (a health check asks every few
    /// seconds). By default the store cannot tell, and says so.
    /// </summary>
    Task<OutboxBacklog> MeasureBacklogAsync(CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"{GetType().Name} cannot measure its outbox backlog.");

    /// <summary>Removes messages the transport has taken, in a transaction of its own.</summary>
    Task RemoveAsync(IReadOnlyList<OutboxEntry> entries, CancellationToken cancellationToken = default);

    /// <summary>Removes messages the transport has taken, inside <paramref name="transaction"/> (riding along with other work).</summary>
    Task RemoveAsync(StoreTransaction transaction, IReadOnlyList<OutboxEntry> entries, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes <paramref name="sent"/> and adds <paramref name="messages"/> inside <paramref name="transaction"/>, just
    /// before it commits: a unit of work takes the clean-up of earlier sends along. A store that can do both in one round
    /// trip should; the default calls <see cref="RemoveAsync(StoreTransaction, IReadOnlyList{OutboxEntry}, CancellationToken)"/>
    /// and <see cref="AddAsync"/>.
    /// </summary>
    async Task<IReadOnlyList<OutboxEntry>> AddAndRemoveAsync(
        StoreTransaction transaction, IReadOnlyList<OutgoingMessage> messages, IReadOnlyList<OutboxEntry> sent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(sent);
        if (sent.Count > 0)
        {
            await RemoveAsync(transaction, sent, cancellationToken).ConfigureAwait(false);
        }

        return messages.Count > 0 ? await AddAsync(transaction, messages, cancellationToken).ConfigureAwait(false) : [];
    }

    /// <summary>
    /// Hands messages whose send right after their commit failed to the relays at once. A store that reserves committed
    /// messages for their committer (so that other instances' relays keep off them) drops the reservation here;
    /// others need do nothing.
    /// </summary>
    Task ReleaseAsync(IReadOnlyList<OutboxEntry> entries, CancellationToken cancellationToken = default) => Task.CompletedTask;

    /// <summary>
    /// Set when any process released messages to the relays (<see cref="ReleaseAsync"/>), so that a relay looks at once
    /// rather than at its next poll. A store that can hear other processes (PostgreSQL's LISTEN/NOTIFY) returns a signal;
    /// the default is null, and relays poll.
    /// </summary>
    WakeSignal? Released => null;
}

/// <summary>One message in the outbox, with its position.</summary>
public sealed record OutboxEntry(long Sequence, OutgoingMessage Message)
{
    /// <summary>How many times the transport refused it so far (it was parked that many times).</summary>
    public int Attempts { get; init; }
}
