namespace Tidings.Transport;

/// <summary>
/// What a health check (or a board of the system) asks of a transport: whether it reaches its broker or database now,
/// and how many messages wait in a queue or in dead-letter queues.
/// </summary>
public interface ITransportHealth
{
    /// <summary>Completes if the transport reaches its broker or database now; throws, saying why, if it does not.</summary>
    Task CheckConnectionAsync(CancellationToken cancellationToken = default);

    /// <summary>How many messages wait in the dead-letter queues of <paramref name="queues"/> (those that exist).</summary>
    Task<long> CountDeadLettersAsync(IReadOnlyCollection<string> queues, CancellationToken cancellationToken = default);

    /// <summary>
    /// How many messages wait in <paramref name="queue"/>, or null if there is no such queue. What counts differs by
    /// transport, and the docs of each say: messages handed to a consumer and not yet settled are counted by some (the
    /// SQLite bus file), not by others (RabbitMQ counts the ready ones).
    /// </summary>
    Task<long?> CountMessagesAsync(string queue, CancellationToken cancellationToken = default);
}
