using Tidings.Serialization;

namespace Tidings;

/// <summary>Settings for the whole bus in this process.</summary>
public sealed class TidingsOptions
{
    private readonly List<EndpointOptions> _endpoints = [];

    /// <summary>The allow-list of message names.</summary>
    public MessageTypeRegistry Registry { get; } = new();

    /// <summary>The body serializer. Default System.Text.Json with web defaults.</summary>
    public IMessageSerializer Serializer { get; set; } = new JsonMessageSerializer();

    /// <summary>The largest body accepted on send and on receive. Default 256 KiB.</summary>
    public int MaxMessageBytes { get; set; } = 256 * 1024;

    /// <summary>How long in-flight handlers may run after shutdown begins before they are cancelled. Default 30 s.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the inbox remembers handled message ids. Must outlast any redelivery. Default 7 days.</summary>
    public TimeSpan InboxRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// On a transport that cannot browse its dead-letter queues (RabbitMQ), move what reaches them into the store, where
    /// <see cref="DeadLetters.IDeadLetters"/> and the <c>tidings</c> tool list, group, replay and purge them; the broker's
    /// dead-letter queues are then only a way in. Needs a store that keeps dead letters (PostgreSQL, SQLite). Default true; turn
    /// it off to leave dead letters in the broker for a tool of your own.
    /// </summary>
    public bool MoveDeadLettersToStore { get; set; } = true;

    /// <summary>How often expired inbox entries are removed. Default 1 hour.</summary>
    public TimeSpan InboxCleanupInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How many outbox messages the relay sends in one batch. Default 500.</summary>
    public int OutboxBatchSize { get; set; } = 500;

    /// <summary>How often the relay looks at the outbox when nothing woke it (another process committed, say). Default 1 s.</summary>
    public TimeSpan OutboxPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The longest the relay waits before trying again: an outbox message parked because no queue receives it yet
    /// (the wait starts at 100 ms and doubles with each refusal up to this), and the whole relay after the transport
    /// failed. A parked message goes out at most this long after its queue is declared. Default 5 s.
    /// </summary>
    public TimeSpan OutboxMaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The longest the schedule relay waits before it looks for due messages again (it waits less when it knows the next
    /// due time, and is woken when this process schedules one). Bounds how late a message scheduled by another
    /// instance of the service can be sent. Default 1 s.
    /// </summary>
    public TimeSpan SchedulePollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often the service measures its endpoints' queues and its store for the statistics gauges
    /// (<c>tidings.queue.*</c>, <c>tidings.outbox.backlog</c>, <c>tidings.schedules.*</c>, <c>tidings.sagas</c>).
    /// Each measurement is a few counting queries; <see cref="TimeSpan.Zero"/> turns it off. Default 30 s.
    /// </summary>
    public TimeSpan StatisticsInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The service's name, as dashboards show it on their map of the system. Default: the host's application name
    /// (the entry assembly's name).
    /// </summary>
    public string? ServiceName { get; set; }

    /// <summary>
    /// Publish what this service sent and received, by message name, with each statistics sample (a small
    /// <see cref="Operations.FlowReport"/> to the topic <c>tidings.flow-report</c>), for dashboards' maps of the system.
    /// A topic nobody subscribes to drops it. Default true.
    /// </summary>
    public bool PublishFlow { get; set; } = true;

    /// <summary>This host's counts of what it sent and received.</summary>
    internal Operations.FlowRecorder Flow { get; } = new();

    internal IReadOnlyList<EndpointOptions> Endpoints => _endpoints;

    /// <summary>The names of the endpoints (their queues) this service receives on.</summary>
    public IReadOnlyList<string> EndpointNames => [.. _endpoints.Select(e => e.Name)];

    internal EndpointOptions AddEndpoint(string name)
    {
        if (_endpoints.Any(e => e.Name == name))
        {
            throw new InvalidOperationException($"Endpoint '{name}' is configured twice.");
        }

        var endpoint = new EndpointOptions(name);
        _endpoints.Add(endpoint);
        return endpoint;
    }
}
