using Microsoft.Extensions.Logging;
using Tidings.RabbitMQ.Receiving;
using Tidings.RabbitMQ.Wire;
using Tidings.Transport;

namespace Tidings.RabbitMQ.Topology;

/// <summary>
/// Reads the due queue, where delayed messages land when their tier expires, and sends each on: to its destination if
/// due, else to the next shorter tier. Less than the shortest tier is waited out here. Every process runs one; they
/// compete for the due queue, so the work survives any of them. A message whose destination disappeared goes to
/// <c>tidings.delay.due.deadletter</c> with the reason.
/// </summary>
internal sealed partial class DelayForwarder : IAsyncDisposable
{
    private const int BatchSize = 128;
    private readonly RabbitMqTransport _transport;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    private DelayForwarder(RabbitMqTransport transport, ILogger logger)
    {
        _transport = transport;
        _logger = logger;
    }

    public static DelayForwarder Start(RabbitMqTransport transport, ILogger logger)
    {
        var forwarder = new DelayForwarder(transport, logger);
        forwarder._loop = Task.Run(() => forwarder.RunAsync(forwarder._stop.Token));
        return forwarder;
    }

    private async Task RunAsync(CancellationToken stop)
    {
        var receiver = new RabbitMqReceiver(_transport, DelayTiers.DueQueue, new ReceiverSettings(TimeSpan.FromMinutes(1), BatchSize), _logger);
        await using var _ = receiver.ConfigureAwait(false);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await _transport.Topology.DeclareDueQueueAsync(stop).ConfigureAwait(false);
                var batch = await receiver.ReceiveAsync(BatchSize, stop).ConfigureAwait(false);
                try
                {
                    await ForwardAsync(receiver, batch, stop).ConfigureAwait(false);
                }
                catch
                {
                    // Nothing expires a broker's delivery: without this, the batch would sit unacked on a live channel.
                    await receiver.ReleaseAsync([.. batch.Select(Settlement.Ack)]).ConfigureAwait(false);
                    throw;
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The forwarder lives as long as the transport; unacked messages stay on the due queue.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogForwardFailed(_logger, ex);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task ForwardAsync(RabbitMqReceiver receiver, IReadOnlyList<ReceivedMessage> batch, CancellationToken stop)
    {
        var now = _transport.Time.GetUtcNow();
        var received = _transport.Time.GetTimestamp();
        var onward = new List<(ReceivedMessage Message, Destination Destination, TimeSpan? Left, DeliveryHistory History)>(batch.Count);
        var broken = new List<ReceivedMessage>();
        var wait = TimeSpan.Zero;
        foreach (var message in batch)
        {
            var state = (DeliveryState)message.TransportState!;
            if (state.Route is not { } route || !DelayedDestination.TryParse(route.Destination, out var destination))
            {
                broken.Add(message);
                continue;
            }

            // What is left counts from when the broker let the message go, which was no later than now: measured from
            // now, a message can only be late, never early. Less than the shortest tier is waited out here.
            var tiered = DelayTiers.TierFor(route.Left) is not null;
            if (!tiered && route.Left > wait)
            {
                wait = route.Left;
            }

            onward.Add((message, destination, tiered ? route.Left : null, state.Carried));
        }

        // Destinations deleted since the message was delayed: found before publishing, so the batch is not sent twice.
        foreach (var entry in onward.ToList())
        {
            try
            {
                await _transport.Topology.EnsureQueuesExistAsync([new OutgoingMessage(entry.Destination, entry.Message.Envelope)], stop).ConfigureAwait(false);
            }
            catch (UnroutableMessageException ex)
            {
                entry.Message.Envelope.Headers[TidingsHeaders.ExceptionMessage] = ex.Message;
                onward.Remove(entry);
                broken.Add(entry.Message);
            }
        }

        if (wait > TimeSpan.Zero)
        {
            // Less than the shortest tier remains: cheaper to wait here than to take another trip through the broker.
            await Task.Delay(wait, _transport.Time, stop).ConfigureAwait(false);
        }

        // The time spent here is measured on the monotonic clock, so that a step of the wall clock changes no span.
        var elapsed = _transport.Time.GetElapsedTime(received);
        var publishedAt = _transport.Time.GetUtcNow();
        var outgoing = onward.Select(o => new OutgoingMessage(o.Destination, o.Message.Envelope, o.Left is { } left ? publishedAt + (left - elapsed) : null)).ToList();
        try
        {
            await _transport.PublishAsync(outgoing, onward.Select(o => o.History).ToList(), stop).ConfigureAwait(false);
        }
        catch (UnroutableMessageException)
        {
            // A destination went in the instant between the check and the publish: send one by one, so that only the
            // messages without a route are dead-lettered (the others may arrive twice).
            for (var i = 0; i < onward.Count; i++)
            {
                try
                {
                    await _transport.PublishAsync([outgoing[i]], [onward[i].History], stop).ConfigureAwait(false);
                }
                catch (UnroutableMessageException ex)
                {
                    onward[i].Message.Envelope.Headers[TidingsHeaders.ExceptionMessage] = ex.Message;
                    broken.Add(onward[i].Message);
                }
            }

            // Dead-lettered, not acked as well.
            onward.RemoveAll(o => broken.Contains(o.Message));
        }

        foreach (var message in broken)
        {
            message.Envelope.Headers[TidingsHeaders.DeadLetterReason] = "delayed-destination-missing";
            message.Envelope.Headers[TidingsHeaders.SourceQueue] = DelayTiers.DueQueue;
            message.Envelope.Headers[TidingsHeaders.DeadLetteredAt] = now.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
            LogDeadLettered(_logger, message.Envelope.MessageId, message.Envelope.MessageName);
        }

        await receiver.SettleAsync(
            [.. onward.Select(o => Settlement.Ack(o.Message)), .. broken.Select(Settlement.DeadLetter)], stop).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    [LoggerMessage(LogLevel.Error, "Forwarding delayed messages failed; they stay on the due queue and are tried again.")]
    private static partial void LogForwardFailed(ILogger logger, Exception ex);

    [LoggerMessage(LogLevel.Error, "Delayed message {MessageId} ({MessageName}) has no destination any more; moved to tidings.delay.due.deadletter.")]
    private static partial void LogDeadLettered(ILogger logger, Guid messageId, string messageName);
}
