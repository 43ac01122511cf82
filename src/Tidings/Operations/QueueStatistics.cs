namespace Tidings.Operations;

/// <summary>
/// How one queue stands. What a transport cannot tell is null, never a guess; each transport's implementation says
/// what it can tell.
/// </summary>
/// <param name="Queue">The queue.</param>
/// <param name="Depth">Messages ready to be handed out now (not those delayed to a later time).</param>
/// <param name="InFlight">Messages handed out and not yet settled (leased or unacknowledged).</param>
/// <param name="DeadLetters">Messages in the queue's dead-letter queue.</param>
/// <param name="OldestAge">How long the oldest waiting message has waited since it was sent.</param>
/// <param name="Consumers">Consumers attached now.</param>
public sealed record QueueStatistics(string Queue, long Depth, long? InFlight, long DeadLetters, TimeSpan? OldestAge, int? Consumers);

/// <summary>A transport that reports how its queues stand.</summary>
public interface IQueueStatistics
{
    /// <summary>Whether <see cref="GetQueueStatisticsAsync"/> can list every queue when given none (a broker's protocol may not).</summary>
    bool CanListQueues { get; }

    /// <summary>
    /// How <paramref name="queues"/> stand (those that exist; dead-letter queues are counted with their queue, not
    /// listed themselves), or every queue when none is named and <see cref="CanListQueues"/>.
    /// </summary>
    Task<IReadOnlyList<QueueStatistics>> GetQueueStatisticsAsync(IReadOnlyCollection<string> queues, CancellationToken cancellationToken = default);
}
