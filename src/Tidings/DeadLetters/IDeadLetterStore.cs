namespace Tidings.DeadLetters;

/// <summary>
/// Dead letters kept in the service's own database, for a transport that cannot browse its dead-letter queues (a
/// broker): Tidings moves what reaches them into the store (<see cref="IngestAsync"/>), and the operator's list, groups,
/// replay and purge work on the store's rows. A replay writes the messages to the store's outbox in the same transaction
/// that removes them from the dead letters, and the outbox relay sends them with the transport's confirms.
/// </summary>
public interface IDeadLetterStore : IDeadLetters
{
    /// <summary>
    /// Stores dead letters taken from a dead-letter queue, in one transaction, and returns when it has committed (so the
    /// caller may then acknowledge them to the broker). A dead letter stored before, by its endpoint, message id and
    /// replay count, is stored once: the broker may deliver one twice.
    /// </summary>
    Task IngestAsync(IReadOnlyList<IngestedDeadLetter> deadLetters, CancellationToken cancellationToken = default);
}

/// <summary>A dead letter as it came out of a dead-letter queue.</summary>
/// <param name="Endpoint">The endpoint whose dead-letter queue it came from.</param>
/// <param name="Envelope">The message with the headers of its failure.</param>
public sealed record IngestedDeadLetter(string Endpoint, Envelope Envelope);
