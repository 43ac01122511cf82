using RabbitMQ.Client;

namespace Tidings.RabbitMQ;

/// <summary>Settings of the RabbitMQ transport.</summary>
public sealed record RabbitMqTransportOptions
{
    /// <summary>
    /// Where the broker is, as an AMQP URI: <c>amqp://user:password@host:5672/vhost</c>, or <c>amqps://...</c> for TLS
    /// (the server certificate is checked against the host name). Default <c>amqp://guest:guest@localhost:5672/</c>.
    /// </summary>
    public Uri ConnectionString { get; init; } = new("amqp://guest:guest@localhost:5672/");

    /// <summary>The user name, overriding the one in <see cref="ConnectionString"/> (keep secrets out of URIs).</summary>
    public string? UserName { get; init; }

    /// <summary>The password, overriding the one in <see cref="ConnectionString"/>.</summary>
    public string? Password { get; init; }

    /// <summary>A client certificate (PKCS#12 file) for TLS with mutual authentication; implies TLS.</summary>
    public string? ClientCertificatePath { get; init; }

    /// <summary>The passphrase of <see cref="ClientCertificatePath"/>.</summary>
    public string? ClientCertificatePassphrase { get; init; }

    /// <summary>The kind of queue endpoints get. Default <see cref="QueueType.Quorum"/>: replicated and safe, the broker's recommendation.</summary>
    public QueueType QueueType { get; init; } = QueueType.Quorum;

    /// <summary>How often client and broker check on each other; a silent peer is dead after two misses. Default 10 s.</summary>
    public TimeSpan Heartbeat { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long to wait between attempts to reconnect after the connection dropped. Default 1 s.</summary>
    public TimeSpan RecoveryInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a send keeps trying while the broker is unreachable (it waits for the connection to recover and
    /// publishes again) before it fails. Default 30 s.
    /// </summary>
    public TimeSpan PublishTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How many channels publish in parallel; each pipelines its confirms. Default 2.</summary>
    public int PublishChannels { get; init; } = 2;

    /// <summary>
    /// Forwards delayed messages (retries, scheduled sends) when their time comes. At least one process on the broker
    /// must run it; every process does by default, and they share the work. Default true.
    /// </summary>
    public bool RunDelayForwarder { get; init; } = true;

    /// <summary>The name the connections show in the management UI. Default: the process name.</summary>
    public string? ClientName { get; init; }

    /// <summary>Changes anything else of the connection factory (TLS policy, timeouts), after Tidings set it up.</summary>
    public Action<ConnectionFactory>? ConfigureConnectionFactory { get; init; }
}

/// <summary>The kind of RabbitMQ queue an endpoint reads.</summary>
public enum QueueType
{
    /// <summary>A replicated Raft queue: survives node loss, counts deliveries. RabbitMQ's recommended durable queue.</summary>
    Quorum,

    /// <summary>A classic durable queue: one node, lighter on disk; delivery counts beyond the first redelivery are unknown.</summary>
    Classic,
}
