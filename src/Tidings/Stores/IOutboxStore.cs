using Tidings.Transport;

namespace Tidings.Stores;

/// <summary>Messages waiting to leave, written in the same transaction as the data that caused them.</summary>
public interface IOutboxStore
{
    /// <summary>Adds messages inside <paramref name="transaction"/>; they leave only if it commits. Returns them with their positions.</summary>
    Task<IReadOnlyList<OutboxEntry>> AddAsync(StoreTransaction transaction, IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken = default);

    /// <summary>The oldest committed messages, in the order they were added.</summary>
    Task<IReadOnlyList<OutboxEntry>> FetchAsync(int maxMessages, CancellationToken cancellationToken = default);

    /// <summary>Removes messages the transport has taken, in a transaction of its own.</summary>
    Task RemoveAsync(IReadOnlyList<OutboxEntry> entries, CancellationToken cancellationToken = default);

    /// <summary>Removes messages the transport has taken, inside <paramref name="transaction"/> (riding along with other work).</summary>
    Task RemoveAsync(StoreTransaction transaction, IReadOnlyList<OutboxEntry> entries, CancellationToken cancellationToken = default);

    /// <summary>
    /// Hands messages whose send right after their commit failed to the relays at once. A store that reserves committed
    /// messages for their committer (so that other instances' relays keep off them) drops the reservation here;
    /// others need do nothing.
    /// </summary>
    Task ReleaseAsync(IReadOnlyList<OutboxEntry> entries, CancellationToken cancellationToken = default) => Task.CompletedTask;
}

/// <summary>One message in the outbox, with its position.</summary>
public sealed record OutboxEntry(long Sequence, OutgoingMessage Message);
