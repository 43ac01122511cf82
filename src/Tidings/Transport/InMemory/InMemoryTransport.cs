namespace Tidings.Transport.InMemory;

/// <summary>
/// A transport inside one process, with the semantics of the durable ones (leases, delays, dead letters,
/// competing receivers) but no durability. For unit tests of code built on Tidings.
/// </summary>
public sealed partial class InMemoryTransport(TimeProvider? timeProvider = null) : ITransport, ITransportHealth
{
    private readonly Dictionary<string, InMemoryQueue> _queues = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _subscribers = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    internal TimeProvider Time { get; } = timeProvider ?? TimeProvider.System;

    /// <inheritdoc />
    public string Name => "in-memory";

    /// <inheritdoc />
    public Task CheckConnectionAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    /// <inheritdoc />
    public Task<long> CountDeadLettersAsync(IReadOnlyCollection<string> queues, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queues);
        lock (_lock)
        {
            return Task.FromResult(queues.Sum(q => _queues.TryGetValue(DeadLetterQueues.For(q), out var dead) ? (long)dead.Count : 0));
        }
    }

    /// <inheritdoc />
    /// <remarks>Counts every message of the queue: waiting, delayed, and handed out but not yet settled.</remarks>
    public Task<long?> CountMessagesAsync(string queue, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queue);
        lock (_lock)
        {
            return Task.FromResult(_queues.TryGetValue(queue, out var waiting) ? (long?)waiting.Count : null);
        }
    }

    /// <inheritdoc />
    public Task DeclareAsync(QueueDeclaration queue, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queue);
        lock (_lock)
        {
            GetOrAddQueue(queue.Queue);
            GetOrAddQueue(DeadLetterQueues.For(queue.Queue));
            foreach (var topic in queue.Topics)
            {
                if (!_subscribers.TryGetValue(topic, out var set))
                {
                    _subscribers[topic] = set = new HashSet<string>(StringComparer.Ordinal);
                }

                set.Add(queue.Queue);
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task SendAsync(IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var now = Time.GetUtcNow();
        lock (_lock)
        {
            var targets = new List<(InMemoryQueue Queue, OutgoingMessage Message)>();
            foreach (var message in messages)
            {
                var names = Route(message);
                if (names.Count == 0 && message.Destination.Kind == DestinationKind.Queue)
                {
                    throw new UnroutableMessageException(message.Destination, message.Envelope.MessageName);
                }

                targets.AddRange(names.Select(name => (_queues[name], message)));
            }

            foreach (var (queue, message) in targets)
            {
                queue.Enqueue(message.Envelope.WithOwnHeaders(), message.DeliverAt ?? now);
            }
        }

        Accepted?.Invoke(messages);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public IMessageReceiver CreateReceiver(string queue, ReceiverSettings settings)
    {
        lock (_lock)
        {
            return new InMemoryReceiver(this, GetOrAddQueue(queue), GetOrAddQueue(DeadLetterQueues.For(queue)), settings);
        }
    }

    /// <summary>The number of messages in <paramref name="queue"/>, leased ones included.</summary>
    public int Count(string queue)
    {
        lock (_lock)
        {
            return _queues.TryGetValue(queue, out var q) ? q.Count : 0;
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private HashSet<string> Route(OutgoingMessage message)
    {
        if (message.Destination.Kind == DestinationKind.Queue && CreatesQueuesOnSend)
        {
            GetOrAddQueue(message.Destination.Name);
        }

        return RouteDeclared(message);
    }

    private HashSet<string> RouteDeclared(OutgoingMessage message) => message.Destination.Kind switch
    {
        DestinationKind.Queue => _queues.ContainsKey(message.Destination.Name) ? [message.Destination.Name] : [],
        _ => _subscribers.TryGetValue(message.Destination.Name, out var set) ? set : [],
    };

    private InMemoryQueue GetOrAddQueue(string name)
    {
        if (!_queues.TryGetValue(name, out var queue))
        {
            _queues[name] = queue = new InMemoryQueue(Time, Touch);
        }

        return queue;
    }
}
