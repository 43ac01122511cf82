namespace Tidings.Transport;

/// <summary>What a health check asks of a transport: whether it reaches its broker or database now, and how many messages wait in dead-letter queues.</summary>
public interface ITransportHealth
{
    /// <summary>Completes if the transport reaches its broker or database now; throws, saying why, if it does not.</summary>
    Task CheckConnectionAsync(CancellationToken cancellationToken = default);

    /// <summary>How many messages wait in the dead-letter queues of <paramref name="queues"/> (those that exist).</summary>
    Task<long> CountDeadLettersAsync(IReadOnlyCollection<string> queues, CancellationToken cancellationToken = default);
}
