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
    /// How many messages wait in <paramref name="queue"/>, or null if there is no such queue (or the transport cannot
    /// tell: the default). What counts differs by transport, and each says: the SQLite bus file and the in-memory
    /// transport count every message of the queue, delayed and handed out ones too; RabbitMQ counts the ready ones.
    /// </summary>
    Task<long?> CountMessagesAsync(string queue, CancellationToken cancellationToken = default) => Task.FromResult<long?>(null);
}
