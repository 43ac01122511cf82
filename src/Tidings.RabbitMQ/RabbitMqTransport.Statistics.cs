using Tidings.Operations;
using Tidings.Transport;

namespace Tidings.RabbitMQ;

public sealed partial class RabbitMqTransport : IQueueStatistics
{
    /// <inheritdoc />
    /// <remarks>AMQP has no way to list a broker's queues (the management plugin's HTTP API has): name them.</remarks>
    public bool CanListQueues => false;

    /// <inheritdoc />
    /// <remarks>
    /// A passive declare of each queue and of its dead-letter queue: the ready messages and the consumers. Over AMQP the
    /// broker tells neither the unacknowledged messages nor the age of the oldest: those are null.
    /// </remarks>
    public async Task<IReadOnlyList<QueueStatistics>> GetQueueStatisticsAsync(IReadOnlyCollection<string> queues, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queues);
        var statistics = new List<QueueStatistics>();
        foreach (var queue in queues.Order(StringComparer.Ordinal))
        {
            if (await Topology.InspectAsync(queue, cancellationToken).ConfigureAwait(false) is { } found)
            {
                var dead = await Topology.CountMessagesAsync(DeadLetterQueues.For(queue), cancellationToken).ConfigureAwait(false) ?? 0;
                statistics.Add(new QueueStatistics(queue, found.Messages, null, dead, null, (int)found.Consumers));
            }
        }

        return statistics;
    }
}
