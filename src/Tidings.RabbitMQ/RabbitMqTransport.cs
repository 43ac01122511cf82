using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tidings.RabbitMQ.Connections;
using Tidings.RabbitMQ.Publishing;
using Tidings.RabbitMQ.Receiving;
using Tidings.RabbitMQ.Topology;
using Tidings.RabbitMQ.Wire;
using Tidings.Transport;

namespace Tidings.RabbitMQ;

/// <summary>
/// The RabbitMQ transport: a durable queue per endpoint with its dead-letter queue, a fanout exchange per event name,
/// publisher confirms with mandatory routing for commands, manual acks after the handler, automatic recovery, and
/// delays through expiring tier queues (no broker plugin). See docs/rabbitmq-transport.md for the topology.
/// </summary>
public sealed partial class RabbitMqTransport : ITransport, ITransportHealth
{
    private readonly RabbitMqTransportOptions _options;
    private readonly ILoggerFactory _loggers;
    private readonly TimeProvider _time;
    private readonly Lazy<DelayForwarder?> _forwarder;
    private int _disposed;

    /// <summary>Creates the transport; it connects on first use.</summary>
    public RabbitMqTransport(RabbitMqTransportOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _loggers = loggerFactory ?? NullLoggerFactory.Instance;
        _time = timeProvider ?? TimeProvider.System;
        Connections = new RabbitMqConnections(options);
        Topology = new RabbitMqTopology(Connections, options);
        Publisher = new RabbitMqPublisher(Connections, options, Topology.Forget);
        _forwarder = new Lazy<DelayForwarder?>(() => options.RunDelayForwarder
            ? DelayForwarder.Start(this, _loggers.CreateLogger<DelayForwarder>())
            : null);
    }

    /// <inheritdoc />
    public string Name => "rabbitmq";

    internal RabbitMqConnections Connections { get; }

    internal RabbitMqTopology Topology { get; }

    internal RabbitMqPublisher Publisher { get; }

    internal TimeProvider Time => _time;

    /// <inheritdoc />
    /// <remarks>The publishing connection is open (not recovering), and the broker answers on it.</remarks>
    public async Task CheckConnectionAsync(CancellationToken cancellationToken = default)
    {
        var connection = await Connections.PublishingAsync(cancellationToken).ConfigureAwait(false);
        if (!connection.IsOpen)
        {
            throw new InvalidOperationException(
                $"The connection to RabbitMQ at {Connections.Address} is down ({connection.CloseReason?.ReplyText ?? "closed"}); it is being recovered.");
        }

        // An open socket is not yet an answering broker.
        await Topology.PingAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>A passive declare of each dead-letter queue, which counts its ready messages.</remarks>
    public async Task<long> CountDeadLettersAsync(IReadOnlyCollection<string> queues, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queues);
        long total = 0;
        foreach (var queue in queues)
        {
            total += await Topology.CountMessagesAsync(DeadLetterQueues.For(queue), cancellationToken).ConfigureAwait(false) ?? 0;
        }

        return total;
    }

    /// <inheritdoc />
    /// <remarks>A passive declare, which counts the ready messages: those delivered and not yet acknowledged are not counted.</remarks>
    public async Task<long?> CountMessagesAsync(string queue, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queue);
        return await Topology.CountMessagesAsync(queue, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task DeclareAsync(QueueDeclaration queue, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queue);
        EnsureStarted();
        return Topology.DeclareAsync(queue, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Queues are checked before anything is published, so a batch with an unknown queue fails whole. Should a queue be
    /// deleted between the check and the publish, the mandatory flag still reports the message as unroutable, but
    /// the batch's other messages may have been sent.
    /// </remarks>
    public Task SendAsync(IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        EnsureStarted();

        // Not async on the hot path (every queue known, every exchange declared): one state machine per send, not three.
        var check = Topology.EnsureQueuesExistAsync(messages, cancellationToken);
        return check.IsCompletedSuccessfully ? PublishAsync(messages, null, cancellationToken) : SendAfterCheckAsync(check, messages, cancellationToken);
    }

    private async Task SendAfterCheckAsync(ValueTask check, IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken)
    {
        await check.ConfigureAwait(false);
        await PublishAsync(messages, null, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public IMessageReceiver CreateReceiver(string queue, ReceiverSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        EnsureStarted();
        return new RabbitMqReceiver(this, queue, settings, _loggers.CreateLogger<RabbitMqReceiver>());
    }

    /// <summary>Starts the delay forwarder on first use; a disposed transport refuses work rather than start it again.</summary>
    private void EnsureStarted()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        _ = _forwarder.Value;
    }

    /// <summary>Publishes messages, delayed ones into the delay tiers; <paramref name="histories"/> carries earlier deliveries of copies.</summary>
    internal Task PublishAsync(IReadOnlyList<OutgoingMessage> messages, IReadOnlyList<DeliveryHistory>? histories, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var publications = new Publication[messages.Count];
        for (var i = 0; i < messages.Count; i++)
        {
            var building = BuildAsync(messages[i], histories?[i] ?? default, now, cancellationToken);
            if (!building.IsCompletedSuccessfully)
            {
                return PublishAfterDeclaringAsync(building, i, publications, messages, histories, now, cancellationToken);
            }

            publications[i] = building.Result;
        }

        return Publisher.PublishAsync(publications, cancellationToken);
    }

    /// <summary>The slow path of <see cref="PublishAsync"/>: an exchange or delay queue is declared first.</summary>
    private async Task PublishAfterDeclaringAsync(
        ValueTask<Publication> building, int index, Publication[] publications, IReadOnlyList<OutgoingMessage> messages,
        IReadOnlyList<DeliveryHistory>? histories, DateTimeOffset now, CancellationToken cancellationToken)
    {
        publications[index] = await building.ConfigureAwait(false);
        for (var i = index + 1; i < messages.Count; i++)
        {
            publications[i] = await BuildAsync(messages[i], histories?[i] ?? default, now, cancellationToken).ConfigureAwait(false);
        }

        await Publisher.PublishAsync(publications, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Publishes the copies that retry or dead-letter received messages of <paramref name="queue"/>.</summary>
    internal Task PublishCopiesAsync(string queue, IReadOnlyList<Settlement> settlements, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var copies = new OutgoingMessage[settlements.Count];
        var histories = new DeliveryHistory[settlements.Count];
        for (var i = 0; i < settlements.Count; i++)
        {
            var settlement = settlements[i];
            var message = settlement.Message;
            histories[i] = new DeliveryHistory(message.DeliveryCount, message.AbandonedDeliveries);
            copies[i] = settlement.Kind == SettlementKind.DeadLetter
                ? new OutgoingMessage(Destination.Queue(DeadLetterQueues.For(queue)), message.Envelope)
                : new OutgoingMessage(Destination.Queue(queue), message.Envelope, settlement.Delay > TimeSpan.Zero ? now + settlement.Delay : null);
        }

        return PublishAsync(copies, histories, cancellationToken);
    }

    private async ValueTask<Publication> BuildAsync(OutgoingMessage message, DeliveryHistory history, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var envelope = message.Envelope;
        var destination = message.Destination;
        if (message.DeliverAt is { } deliverAt && deliverAt > now)
        {
            // The due time becomes a span at once, by this process's clock: the broker's time-to-live counts it down
            // from here, and no other process's clock (five minutes wrong, say) can make the message early or late.
            var remaining = deliverAt - now;
            var tier = DelayTiers.TierFor(remaining);
            await Topology.EnsureDelayQueueAsync(tier, cancellationToken).ConfigureAwait(false);
            var route = new DelayedRoute(DelayedDestination.Format(destination), remaining - TimeSpan.FromMilliseconds(tier ?? 0), deliverAt);
            var queue = tier is { } ms ? DelayTiers.QueueName(ms) : DelayTiers.DueQueue;
            return new Publication("", queue, Mandatory: true, EnvelopeWriter.Properties(envelope, persistent: true, history, route), envelope.Body, destination);
        }

        if (destination.Kind == DestinationKind.Topic)
        {
            // An event nobody subscribes to is accepted and goes nowhere: not mandatory.
            await Topology.EnsureExchangeAsync(destination.Name, cancellationToken).ConfigureAwait(false);
            return new Publication(destination.Name, "", Mandatory: false, EnvelopeWriter.Properties(envelope, persistent: true, history), envelope.Body, destination);
        }

        return new Publication("", destination.Name, Mandatory: true, EnvelopeWriter.Properties(envelope, persistent: true, history), envelope.Body, destination);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        if (_forwarder.IsValueCreated && _forwarder.Value is { } forwarder)
        {
            await forwarder.DisposeAsync().ConfigureAwait(false);
        }

        await Publisher.DisposeAsync().ConfigureAwait(false);
        await Topology.DisposeAsync().ConfigureAwait(false);
        await Connections.DisposeAsync().ConfigureAwait(false);
    }
}
