using System.Collections.Concurrent;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Tidings.RabbitMQ.Connections;
using Tidings.RabbitMQ.Wire;
using Tidings.Transport;

namespace Tidings.RabbitMQ.Topology;

/// <summary>
/// Declares and checks the broker topology: a durable queue and a dead-letter queue per endpoint, a fanout exchange per
/// published message name bound to every subscribing queue, and the delay tiers. What is known to exist is remembered,
/// so the hot path asks the broker nothing.
/// </summary>
internal sealed class RabbitMqTopology(RabbitMqConnections connections, RabbitMqTransportOptions options) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ConcurrentDictionary<string, bool> _queues = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _exchanges = new(StringComparer.Ordinal);
    private IChannel? _channel;

    /// <summary>Declares <paramref name="declaration"/>'s queue, its dead-letter queue, and its subscriptions.</summary>
    public async Task DeclareAsync(QueueDeclaration declaration, CancellationToken cancellationToken)
    {
        await RunAsync(async channel =>
        {
            if (declaration.Temporary)
            {
                await DeclareQueueAsync(channel, declaration.Queue, durable: false, QueueArguments.Temporary(), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await DeclareQueueAsync(channel, declaration.Queue, durable: true, QueueArguments.Endpoint(options.QueueType, declaration.Queue), cancellationToken).ConfigureAwait(false);
                var deadLetters = DeadLetterQueues.For(declaration.Queue);
                await DeclareQueueAsync(channel, deadLetters, durable: true, QueueArguments.Durable(options.QueueType), cancellationToken).ConfigureAwait(false);
            }

            foreach (var topic in declaration.Topics)
            {
                await DeclareExchangeAsync(channel, topic, cancellationToken).ConfigureAwait(false);
                await channel.QueueBindAsync(declaration.Queue, topic, "", cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Makes sure the exchange of <paramref name="topic"/> exists, so that publishing to it never closes a channel.</summary>
    public ValueTask EnsureExchangeAsync(string topic, CancellationToken cancellationToken) =>
        _exchanges.ContainsKey(topic) ? ValueTask.CompletedTask : new ValueTask(DeclareExchangeAsync(topic, cancellationToken));

    // Apart from the check, so that the closure is made only when the exchange is declared, not on every publish.
    private Task DeclareExchangeAsync(string topic, CancellationToken cancellationToken) =>
        RunAsync(channel => DeclareExchangeAsync(channel, topic, cancellationToken), cancellationToken);

    /// <summary>
    /// Forgets the queue or exchange <paramref name="publication"/> went to: the broker said it is gone. The next send
    /// checks the queue again (and fails whole), or declares the exchange again.
    /// </summary>
    public void Forget(Publishing.Publication publication)
    {
        ArgumentNullException.ThrowIfNull(publication);
        if (publication.Exchange.Length == 0)
        {
            _queues.TryRemove(publication.RoutingKey, out _);
        }
        else
        {
            _exchanges.TryRemove(publication.Exchange, out _);
        }
    }

    /// <summary>Makes sure the delay tier queue of <paramref name="tierMs"/> (or the due queue, for null) exists.</summary>
    public ValueTask EnsureDelayQueueAsync(long? tierMs, CancellationToken cancellationToken)
    {
        var name = tierMs is { } ms ? DelayTiers.QueueName(ms) : DelayTiers.DueQueue;
        if (_queues.ContainsKey(name))
        {
            return ValueTask.CompletedTask;
        }

        return new ValueTask(RunAsync(async channel =>
        {
            await DeclareDueQueueAsync(channel, cancellationToken).ConfigureAwait(false);
            if (tierMs is { } tier)
            {
                await DeclareQueueAsync(channel, name, durable: true, QueueArguments.DelayTier(tier), cancellationToken).ConfigureAwait(false);
            }
        }, cancellationToken));
    }

    /// <summary>Declares the due queue and its dead-letter queue (where messages go whose destination disappeared).</summary>
    public Task DeclareDueQueueAsync(CancellationToken cancellationToken) =>
        _queues.ContainsKey(DelayTiers.DueQueue) ? Task.CompletedTask : RunAsync(channel => DeclareDueQueueAsync(channel, cancellationToken), cancellationToken);

    /// <summary>
    /// Checks that every queue <paramref name="messages"/> go to exists before anything is published, so that a batch with a
    /// wrong destination fails as a whole. A queue deleted later is still caught by the mandatory flag.
    /// </summary>
    public ValueTask EnsureQueuesExistAsync(IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken)
    {
        // Not async while every queue is known: no state machine and no closure per send.
        for (var i = 0; i < messages.Count; i++)
        {
            var destination = messages[i].Destination;
            if (destination.Kind == DestinationKind.Queue && !_queues.ContainsKey(destination.Name))
            {
                return CheckQueuesAsync(messages, i, cancellationToken);
            }
        }

        return ValueTask.CompletedTask;
    }

    private async ValueTask CheckQueuesAsync(IReadOnlyList<OutgoingMessage> messages, int first, CancellationToken cancellationToken)
    {
        for (var i = first; i < messages.Count; i++)
        {
            var message = messages[i];
            var destination = message.Destination;
            if (destination.Kind != DestinationKind.Queue || _queues.ContainsKey(destination.Name))
            {
                continue;
            }

            await RunAsync(async channel =>
            {
                try
                {
                    await channel.QueueDeclarePassiveAsync(destination.Name, cancellationToken).ConfigureAwait(false);
                    _queues[destination.Name] = true;
                }
                catch (OperationInterruptedException ex) when (ex.Is(BrokerErrors.NotFound))
                {
                    throw new UnroutableMessageException(destination, message.Envelope.MessageName);
                }
            }, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_channel is not null)
        {
            await _channel.DisposeAsync().ConfigureAwait(false);
        }

        _gate.Dispose();
    }

    private async Task DeclareDueQueueAsync(IChannel channel, CancellationToken cancellationToken)
    {
        // The delay machinery is shared by every endpoint, so it does not follow QueueType: always quorum.
        await DeclareQueueAsync(channel, DelayTiers.DueQueue, durable: true, QueueArguments.Durable(QueueType.Quorum), cancellationToken).ConfigureAwait(false);
        await DeclareQueueAsync(channel, DeadLetterQueues.For(DelayTiers.DueQueue), durable: true, QueueArguments.Durable(QueueType.Quorum), cancellationToken).ConfigureAwait(false);
    }

    private async Task DeclareQueueAsync(IChannel channel, string queue, bool durable, Dictionary<string, object?> arguments, CancellationToken cancellationToken)
    {
        try
        {
            await channel.QueueDeclareAsync(queue, durable, exclusive: false, autoDelete: false, arguments, cancellationToken: cancellationToken).ConfigureAwait(false);
            _queues[queue] = true;
        }
        catch (OperationInterruptedException ex) when (ex.Is(BrokerErrors.PreconditionFailed))
        {
            throw new InvalidOperationException(
                $"Queue '{queue}' already exists on the broker with other settings than Tidings declares " +
                $"({string.Join(", ", arguments.Select(a => $"{a.Key}={a.Value}"))}): {ex.ShutdownReason?.ReplyText}. " +
                "Delete it (after moving its messages) or set QueueType to match it.", ex);
        }
    }

    private async Task DeclareExchangeAsync(IChannel channel, string topic, CancellationToken cancellationToken)
    {
        if (_exchanges.ContainsKey(topic))
        {
            return;
        }

        try
        {
            await channel.ExchangeDeclareAsync(topic, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken).ConfigureAwait(false);
            _exchanges[topic] = true;
        }
        catch (OperationInterruptedException ex) when (ex.Is(BrokerErrors.PreconditionFailed))
        {
            throw new InvalidOperationException(
                $"Exchange '{topic}' already exists on the broker with other settings than Tidings declares (durable fanout): " +
                $"{ex.ShutdownReason?.ReplyText}.", ex);
        }
    }

    /// <summary>Asks the broker something it always answers (that <c>amq.direct</c>, which every virtual host has, exists).</summary>
    public Task PingAsync(CancellationToken cancellationToken) =>
        RunAsync(channel => channel.ExchangeDeclarePassiveAsync("amq.direct", cancellationToken), cancellationToken);

    /// <summary>How many messages <paramref name="queue"/> holds (ready ones, not those out for delivery); null if there is no such queue.</summary>
    public async Task<uint?> CountMessagesAsync(string queue, CancellationToken cancellationToken) =>
        (await InspectAsync(queue, cancellationToken).ConfigureAwait(false))?.Messages;

    /// <summary>The ready messages and the consumers of <paramref name="queue"/> (a passive declare); null if there is no such queue.</summary>
    public async Task<(uint Messages, uint Consumers)?> InspectAsync(string queue, CancellationToken cancellationToken)
    {
        (uint, uint)? found = null;
        try
        {
            await RunAsync(async channel =>
            {
                var ok = await channel.QueueDeclarePassiveAsync(queue, cancellationToken).ConfigureAwait(false);
                found = (ok.MessageCount, ok.ConsumerCount);
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationInterruptedException ex) when (ex.Is(BrokerErrors.NotFound))
        {
            // The broker closed the channel; the next use opens another.
        }

        return found;
    }

    /// <summary>Runs declarations one at a time on the topology channel, opening a new one if the broker closed it (a failed check does).</summary>
    private async Task RunAsync(Func<IChannel, Task> declare, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_channel is not { IsOpen: true })
            {
                if (_channel is not null)
                {
                    await _channel.DisposeAsync().ConfigureAwait(false);
                }

                var connection = await connections.PublishingAsync(cancellationToken).ConfigureAwait(false);
                _channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            await declare(_channel).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }
}
