using System.Runtime.CompilerServices;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Tidings.Transport;

namespace Tidings.RabbitMQ.Receiving;

/// <summary>
/// Settling: acks after the handler (one <c>multiple</c> ack when the batch is everything held up to its highest tag),
/// copies for retries and dead letters published before the original is acked, nacks that hand messages back; each
/// skipped for deliveries of a channel life that is over.
/// </summary>
internal sealed partial class RabbitMqReceiver
{
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SettleAsync(IReadOnlyList<Settlement> settlements, CancellationToken cancellationToken = default)
    {
        if (settlements.Count == 0)
        {
            return;
        }

        // Normally a receiver settles what it received; a message taken by another receiver is settled by its owner.
        if (AllMine(settlements))
        {
            // The common case, all handled on the live channel: acked as given, with no list made per batch.
            if (AllCurrentAcks(settlements) && !_disposed && _channel is { IsOpen: true } channel)
            {
                await AckAsync(channel, settlements).ConfigureAwait(false);
                return;
            }

            await SettleOwnAsync(settlements, cancellationToken).ConfigureAwait(false);
            return;
        }

        foreach (var group in settlements.GroupBy(s => ((DeliveryState)s.Message.TransportState!).Owner))
        {
            await group.Key.SettleOwnAsync(group, cancellationToken).ConfigureAwait(false);
        }
    }

    private bool AllCurrentAcks(IReadOnlyList<Settlement> settlements)
    {
        var generation = Volatile.Read(ref _generation);
        for (var i = 0; i < settlements.Count; i++)
        {
            if (settlements[i].Kind != SettlementKind.Ack || ((DeliveryState)settlements[i].Message.TransportState!).Generation != generation)
            {
                return false;
            }
        }

        return true;
    }

    private bool AllMine(IReadOnlyList<Settlement> settlements)
    {
        for (var i = 0; i < settlements.Count; i++)
        {
            if (((DeliveryState)settlements[i].Message.TransportState!).Owner != this)
            {
                return false;
            }
        }

        return true;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SettleOwnAsync(IEnumerable<Settlement> settlements, CancellationToken cancellationToken)
    {
        var channel = _channel;
        var generation = Volatile.Read(ref _generation);
        var live = new List<Settlement>();
        List<Settlement>? copies = null;
        var skipped = 0;
        foreach (var settlement in settlements)
        {
            if (((DeliveryState)settlement.Message.TransportState!).Generation != generation)
            {
                skipped++;
                continue;
            }

            live.Add(settlement);
            if (settlement.Kind != SettlementKind.Ack)
            {
                (copies ??= []).Add(settlement);
            }
        }

        if (_disposed || channel is not { IsOpen: true } || live.Count == 0)
        {
            LogSkipped(_logger, skipped + live.Count, _queue);
            return;
        }

        if (copies is not null)
        {
            try
            {
                await _transport.PublishCopiesAsync(_queue, copies, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // The copies may not exist: ack what was handled, and give the originals of the copies back rather than
                // hold them until the channel closes.
                await AckAsync(channel, live.Where(s => s.Kind == SettlementKind.Ack).ToList()).ConfigureAwait(false);
                await ReleaseAsync(copies).ConfigureAwait(false);
                throw;
            }
        }

        await AckAsync(channel, live).ConfigureAwait(false);
    }

    /// <summary>
    /// Hands unsettled messages back to the queue at once (a nack with requeue). A broker has no lease that would
    /// return them: a live channel holds them until it closes.
    /// </summary>
    internal async ValueTask ReleaseAsync(IReadOnlyList<Settlement> settlements)
    {
        var channel = _channel;
        var generation = Volatile.Read(ref _generation);
        var live = settlements.Where(s => ((DeliveryState)s.Message.TransportState!).Generation == generation).ToList();
        if (channel is { IsOpen: true } && live.Count > 0)
        {
            await NackQuietlyAsync(channel, live).ConfigureAwait(false);
        }
    }

    /// <summary>Acks with one frame when the batch is everything still held up to its highest tag, else one by one.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask AckAsync(IChannel channel, IReadOnlyList<Settlement> settled)
    {
        if (settled.Count == 0)
        {
            return;
        }

        ulong highest = 0;
        bool together;
        lock (_lock)
        {
            // Voided meanwhile (the channel dropped): after a recovery the same channel numbers new deliveries from 1,
            // and these tags would ack them.
            if (((DeliveryState)settled[0].Message.TransportState!).Generation != _generation)
            {
                LogSkipped(_logger, settled.Count, _queue);
                return;
            }

            for (var i = 0; i < settled.Count; i++)
            {
                var tag = ((DeliveryState)settled[i].Message.TransportState!).Tag;
                _unsettled.Remove(tag);
                highest = Math.Max(highest, tag);
            }

            together = _unsettled.Count == 0 || _unsettled.Min > highest;
        }

        try
        {
            if (together)
            {
                await channel.BasicAckAsync(highest, multiple: true).ConfigureAwait(false);
                return;
            }

            for (var i = 0; i < settled.Count; i++)
            {
                await channel.BasicAckAsync(((DeliveryState)settled[i].Message.TransportState!).Tag, multiple: false).ConfigureAwait(false);
            }
        }
        catch (AlreadyClosedException)
        {
            // The channel died after the handler ran: the broker redelivers; effectively-once endpoints drop the copy.
            LogSkipped(_logger, settled.Count, _queue);
        }
    }

    private async ValueTask NackQuietlyAsync(IChannel channel, List<Settlement> settled)
    {
        try
        {
            lock (_lock)
            {
                foreach (var settlement in settled)
                {
                    _unsettled.Remove(((DeliveryState)settlement.Message.TransportState!).Tag);
                }
            }

            foreach (var settlement in settled)
            {
                await channel.BasicNackAsync(((DeliveryState)settlement.Message.TransportState!).Tag, multiple: false, requeue: true).ConfigureAwait(false);
            }
        }
#pragma warning disable CA1031 // If even the nack fails, the channel is gone and the broker has the messages back.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogSkipped(_logger, settled.Count, _queue, ex);
        }
    }
}
