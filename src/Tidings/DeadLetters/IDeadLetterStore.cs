using Tidings.Stores;

namespace Tidings.DeadLetters;

/// <summary>
/// Dead letters kept in the service's own database, for a transport that cannot browse its dead-letter queues (a
/// broker): Tidings moves what reaches them into the store (<see cref="IngestAsync"/>), and the operator's list, groups,
/// replay and purge work on the store's rows. A replay takes rows out in the same transaction that writes them to the
/// outbox, and the outbox relay sends them with the transport's confirms (see <see cref="IDeadLetters"/>).
/// </summary>
public interface IDeadLetterStore
{
    /// <summary>
    /// Stores dead letters taken from a dead-letter queue, in one transaction, and returns when it has committed (so the
    /// caller may then acknowledge them to the broker). One the store already holds, the same failure of the same
    /// message (<see cref="DeadLetterFingerprint"/>), is stored once: a broker may deliver it twice.
    /// </summary>
    Task IngestAsync(IReadOnlyList<IngestedDeadLetter> deadLetters, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="IDeadLetters.ListAsync"/>
    Task<DeadLetterPage> ListAsync(DeadLetterQuery query, int limit = 50, string? after = null, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="IDeadLetters.GetAsync"/>
    Task<DeadLetter?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="IDeadLetters.CountAsync"/>
    Task<long> CountAsync(DeadLetterQuery query, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="IDeadLetters.GroupsAsync"/>
    Task<IReadOnlyList<FailureGroup>> GroupsAsync(DeadLetterQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// The highest row id now, or 0 if there are none: a replay or purge takes no row above it, so it neither replays
    /// again what fails again while it runs nor deletes what arrived after it began.
    /// </summary>
    Task<long> LastIdAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes up to <paramref name="max"/> of the selected dead letters with row ids above <paramref name="afterId"/>
    /// and at most <paramref name="upToId"/>, lowest id first, inside <paramref name="transaction"/>, and returns them:
    /// they are gone only if it commits.
    /// </summary>
    Task<IReadOnlyList<TakenDeadLetter>> TakeAsync(
        StoreTransaction transaction, DeadLetterSelection selection, long afterId, long upToId, int max, CancellationToken cancellationToken = default);
}

/// <summary>A dead letter as it came out of a dead-letter queue.</summary>
/// <param name="Endpoint">The endpoint whose dead-letter queue it came from.</param>
/// <param name="Envelope">The message with the headers of its failure.</param>
public sealed record IngestedDeadLetter(string Endpoint, Envelope Envelope)
{
    /// <summary>What identifies this failure of this message: see <see cref="DeadLetterFingerprint"/>.</summary>
    public string Fingerprint => DeadLetterFingerprint.Of(Endpoint, Envelope);
}

/// <summary>A dead letter taken out of the store by <see cref="IDeadLetterStore.TakeAsync"/>.</summary>
/// <param name="RowId">Its row id.</param>
/// <param name="Endpoint">The endpoint it failed on.</param>
/// <param name="Envelope">The message as it was dead-lettered.</param>
public sealed record TakenDeadLetter(long RowId, string Endpoint, Envelope Envelope);
