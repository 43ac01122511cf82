namespace Tidings.RabbitMQ.Topology;

/// <summary>The x-arguments of each kind of queue the transport declares.</summary>
internal static class QueueArguments
{
    /// <summary>How long an unused temporary queue (a process's reply queue) outlives its last consumer.</summary>
    public static readonly TimeSpan TemporaryQueueExpiry = TimeSpan.FromMinutes(1);

    /// <summary>A dead-letter queue, or a queue of the delay machinery.</summary>
    public static Dictionary<string, object?> Durable(QueueType type) => type switch
    {
        QueueType.Quorum => new() { ["x-queue-type"] = "quorum" },
        _ => new() { ["x-queue-type"] = "classic" },
    };

    /// <summary>
    /// An endpoint's queue. Whatever the broker itself drops from it (RabbitMQ 4's quorum queues drop a message returned
    /// more than 20 times by default) goes to the endpoint's dead-letter queue rather than nowhere. Tidings' own
    /// dead-lettering (with its reason headers) comes first: <see cref="RetryPolicy.MaxAbandonedDeliveries"/> is lower.
    /// </summary>
    public static Dictionary<string, object?> Endpoint(QueueType type, string queue)
    {
        var arguments = Durable(type);
        arguments["x-dead-letter-exchange"] = "";
        arguments["x-dead-letter-routing-key"] = Tidings.Transport.DeadLetterQueues.For(queue);
        return arguments;
    }

    /// <summary>A queue that serves one process and goes away an idle minute after it does.</summary>
    public static Dictionary<string, object?> Temporary() => new()
    {
        ["x-queue-type"] = "classic",
        ["x-expires"] = (int)TemporaryQueueExpiry.TotalMilliseconds,
    };

    /// <summary>
    /// A delay tier, always a quorum queue whatever the endpoints use: messages expire after <paramref name="tierMs"/>
    /// and move to the due queue at-least-once (the broker keeps a message until the due queue has it), so a crash
    /// loses nothing. Classic queues dead-letter at-most-once.
    /// </summary>
    public static Dictionary<string, object?> DelayTier(long tierMs)
    {
        var arguments = Durable(QueueType.Quorum);
        arguments["x-message-ttl"] = tierMs;
        arguments["x-dead-letter-exchange"] = "";
        arguments["x-dead-letter-routing-key"] = DelayTiers.DueQueue;
        arguments["x-dead-letter-strategy"] = "at-least-once";
        arguments["x-overflow"] = "reject-publish";
        return arguments;
    }
}
