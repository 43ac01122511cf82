namespace Tidings.Transport;

/// <summary>
/// The seam every transport implements: declare a queue and its subscriptions, send envelopes,
/// and receive them through a <see cref="IMessageReceiver"/>.
/// </summary>
public interface ITransport : IAsyncDisposable
{
    /// <summary>A short name for diagnostics (<c>messaging.system</c>), e.g. <c>sqlite</c>.</summary>
    string Name { get; }

    /// <summary>Creates the endpoint's queue, its dead-letter queue, and its subscriptions to <see cref="QueueDeclaration.Topics"/>.</summary>
    Task DeclareAsync(QueueDeclaration queue, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sends the messages durably: when the task completes, every message is stored by the transport.
    /// A send to a queue nobody declared fails with <see cref="UnroutableMessageException"/> and nothing of the batch
    /// is sent: a command with no receiver is a lost instruction. A topic nobody subscribes to takes the message and
    /// delivers it nowhere: an event no one listens to was missed by no one.
    /// </summary>
    Task SendAsync(IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken = default);

    /// <summary>Creates a receiver for <paramref name="queue"/>.</summary>
    IMessageReceiver CreateReceiver(string queue, ReceiverSettings settings);
}

/// <summary>A queue and the topics it subscribes to.</summary>
/// <param name="Queue">The queue's name.</param>
/// <param name="Topics">The topics whose messages the queue gets a copy of.</param>
/// <param name="Temporary">
/// The queue serves this process only (its reply queue): a transport may remove it once the process is gone, and need
/// not keep its messages through a broker restart.
/// </param>
public sealed record QueueDeclaration(string Queue, IReadOnlyCollection<string> Topics, bool Temporary = false);

/// <summary>How a receiver takes messages.</summary>
/// <param name="LeaseDuration">How long a taken message stays invisible to other consumers before it comes back unless renewed.</param>
/// <param name="Prefetch">
/// How many messages a receiver may hold before it settles some: brokers that push messages use it as their
/// prefetch limit.
/// </param>
public sealed record ReceiverSettings(TimeSpan LeaseDuration, int Prefetch = 32);

/// <summary>Takes messages from one queue and settles them.</summary>
public interface IMessageReceiver : IAsyncDisposable
{
    /// <summary>Waits until at least one message is available, then takes up to <paramref name="maxMessages"/>.</summary>
    ValueTask<IReadOnlyList<ReceivedMessage>> ReceiveAsync(int maxMessages, CancellationToken cancellationToken);

    /// <summary>Settles a set of taken messages at once (so transports can commit them together).</summary>
    ValueTask SettleAsync(IReadOnlyList<Settlement> settlements, CancellationToken cancellationToken = default);
}
