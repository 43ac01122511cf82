using Tidings.Operations;

namespace Tidings.Transport.InMemory;

public sealed partial class InMemoryTransport : IQueueStatistics
{
    /// <inheritdoc />
    public bool CanListQueues => true;

    /// <inheritdoc />
    /// <remarks>It has no consumer registry: <see cref="QueueStatistics.Consumers"/> is null.</remarks>
    public Task<IReadOnlyList<QueueStatistics>> GetQueueStatisticsAsync(IReadOnlyCollection<string> queues, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queues);
        var now = Time.GetUtcNow();
        lock (_lock)
        {
            var names = queues.Count > 0 ? queues.Where(_queues.ContainsKey) : _queues.Keys.Where(q => !q.EndsWith(DeadLetterQueues.Suffix, StringComparison.Ordinal));
            return Task.FromResult<IReadOnlyList<QueueStatistics>>(names.Order(StringComparer.Ordinal).Select(name =>
            {
                var (waiting, leased, oldest) = _queues[name].Measure();
                var dead = _queues.TryGetValue(DeadLetterQueues.For(name), out var d) ? d.Count : 0;
                return new QueueStatistics(name, waiting, leased, dead, oldest is { } at ? now - at : null, null);
            }).ToList());
        }
    }
}
