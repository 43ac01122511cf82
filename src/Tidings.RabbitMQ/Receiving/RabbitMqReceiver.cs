using System.Runtime.CompilerServices;
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;
using Tidings.RabbitMQ.Wire;
using Tidings.Transport;

namespace Tidings.RabbitMQ.Receiving;

/// <summary>
/// A consumer on its own channel, with the endpoint's prefetch as its QoS. Deliveries are buffered until a worker takes
/// them. Settling is an ack after the handler: a retry or dead-letter first publishes a copy with updated headers
/// (confirmed), then acks the original. If the channel dies, the broker gives its unacked messages back at once, so
/// settlements of deliveries from before the drop are skipped: acking them would be void, and a copy a duplicate.
/// </summary>
internal sealed partial class RabbitMqReceiver : IMessageReceiver
{
    private readonly RabbitMqTransport _transport;
    private readonly string _queue;
    private readonly ReceiverSettings _settings;
    private readonly ILogger _logger;
    private readonly Channel<ReceivedMessage> _buffer = Channel.CreateUnbounded<ReceivedMessage>(new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = true });
    private readonly SemaphoreSlim _start = new(1, 1);
    private readonly Lock _lock = new();
    private readonly UnsettledTags _unsettled = new();
    private IChannel? _channel;
    private IConnection? _connection;
    private int _generation;
    private volatile bool _restart;
    private volatile bool _disposed;
    private long _lastHandOut;

    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Messages handed out closer together than this mean the endpoint is busy (see <see cref="ReceiveAsync"/>).</summary>
    private static readonly TimeSpan BusyGap = TimeSpan.FromMilliseconds(1);

    /// <summary>Put in the buffer to wake a waiting worker when the consumer must be re-created, or the wait is cancelled.</summary>
    private static readonly ReceivedMessage WakeMarker = new(new Envelope { MessageId = Guid.Empty, MessageName = "" }, 0, null);

    private static readonly Action<object?> WakeOnCancel = static receiver => ((RabbitMqReceiver)receiver!)._buffer.Writer.TryWrite(WakeMarker);

    public RabbitMqReceiver(RabbitMqTransport transport, string queue, ReceiverSettings settings, ILogger logger)
    {
        _transport = transport;
        _queue = queue;
        _settings = settings;
        _logger = logger;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<IReadOnlyList<ReceivedMessage>> ReceiveAsync(int maxMessages, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var reader = _buffer.Reader;
        while (true)
        {
            if (_channel is null || _restart)
            {
                await StartAsync(cancellationToken).ConfigureAwait(false);
            }

            // The buffer reuses one waiter for a wait that cannot be cancelled, and makes one per wait that can: the
            // caller's cancellation wakes the wait with a marker instead.
            var waiting = reader.WaitToReadAsync(CancellationToken.None);
            var wokenByDelivery = !waiting.IsCompleted;
            bool open;
            using (wokenByDelivery ? cancellationToken.UnsafeRegister(WakeOnCancel, this) : default)
            {
                open = await waiting.ConfigureAwait(false);
            }

            cancellationToken.ThrowIfCancellationRequested();
            ObjectDisposedException.ThrowIf(!open, this);
            if (wokenByDelivery && Stopwatch.GetElapsedTime(Volatile.Read(ref _lastHandOut)) < BusyGap)
            {
                // Woken on the client's delivery thread (the buffer wakes waiters inline). When idle, handling right
                // there saves a thread hop per message; when busy, the delivery thread must go back to filling the
                // buffer, so that the worker takes whole batches on a thread of its own.
                await Task.Yield();
            }

            // Sized to what is taken (at a steady rate, one message): no list, and no array larger than the batch.
            ReceivedMessage[]? batch = null;
            var count = 0;
            var generation = Volatile.Read(ref _generation);
            while (count < maxMessages && reader.TryRead(out var message))
            {
                // Deliveries from before a dropped channel are back on the queue already; they will come again.
                if (message.TransportState is DeliveryState state && state.Generation == generation)
                {
                    batch ??= new ReceivedMessage[reader.CanCount ? Math.Min(maxMessages, reader.Count + 1) : 1];
                    if (count == batch.Length)
                    {
                        Array.Resize(ref batch, Math.Min(maxMessages, batch.Length * 2));
                    }

                    batch[count++] = message;
                }
            }

            if (batch is not null)
            {
                Volatile.Write(ref _lastHandOut, Stopwatch.GetTimestamp());
                if (count < batch.Length)
                {
                    Array.Resize(ref batch, count);
                }

                return batch;
            }
        }
    }

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        await _start.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_channel is not null && !_restart)
            {
                return;
            }

            if (_channel is not null)
            {
                // A new channel numbers its tags from 1 again.
                VoidDeliveries();

                _channel.ChannelShutdownAsync -= OnChannelShutdownAsync;
                await _channel.DisposeAsync().ConfigureAwait(false);
                _channel = null;
            }

            _restart = false;
            var connection = await _transport.Connections.ConsumingAsync(cancellationToken).ConfigureAwait(false);
            var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            try
            {
                channel.ChannelShutdownAsync += OnChannelShutdownAsync;
                await channel.BasicQosAsync(0, (ushort)Math.Clamp(_settings.Prefetch, 1, ushort.MaxValue), global: false, cancellationToken).ConfigureAwait(false);
                var consumer = new AsyncEventingBasicConsumer(channel);
                consumer.ReceivedAsync += OnReceivedAsync;
                consumer.UnregisteredAsync += OnUnregisteredAsync;
                await channel.BasicConsumeAsync(_queue, autoAck: false, consumer, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationInterruptedException ex) when (ex.Is(BrokerErrors.NotFound))
            {
                await channel.DisposeAsync().ConfigureAwait(false);
                throw new InvalidOperationException($"Queue '{_queue}' does not exist on RabbitMQ at {_transport.Connections.Address}; declare its endpoint first.", ex);
            }
            catch
            {
                await channel.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            _connection = connection;
            _channel = channel;
        }
        finally
        {
            _start.Release();
        }
    }

    private Task OnReceivedAsync(object sender, BasicDeliverEventArgs delivery)
    {
        var properties = delivery.BasicProperties;
        var (envelope, readError) = EnvelopeReader.ReadOrQuarantine(properties, delivery.Body);
        var carried = EnvelopeReader.CarriedHistory(properties);
        var history = EnvelopeReader.History(carried, properties, delivery.Redelivered);
        var route = EnvelopeReader.Route(properties, _transport.Time.GetUtcNow());
        lock (_lock)
        {
            _unsettled.Add(delivery.DeliveryTag);
        }

        var state = new DeliveryState(this, delivery.DeliveryTag, Volatile.Read(ref _generation), carried, route);
        _buffer.Writer.TryWrite(new ReceivedMessage(envelope, history.Deliveries + 1, state, history.Abandoned) { ReadError = readError });
        return Task.CompletedTask;
    }

    private Task OnChannelShutdownAsync(object sender, ShutdownEventArgs reason)
    {
        VoidDeliveries();

        if (!_disposed)
        {
            LogChannelLost(_logger, _queue, reason.ReplyText);

            // With the connection still up, the broker closed just this channel (an error of its own): the client will not
            // recover it, so the receiver opens a new one. A dropped connection brings its channels back by itself.
            if (_connection is { IsOpen: true })
            {
                RequestRestart();
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Everything the channel delivered and did not ack is the broker's again: settling it from now on is skipped, and what
    /// is still buffered is dropped by <see cref="ReceiveAsync"/>.
    /// </summary>
    private void VoidDeliveries()
    {
        lock (_lock)
        {
            Interlocked.Increment(ref _generation);
            _unsettled.Clear();
        }
    }

    /// <summary>The broker cancelled the consumer (its queue was deleted, say): consume again, which reports why if it fails.</summary>
    private Task OnUnregisteredAsync(object sender, ConsumerEventArgs args)
    {
        // The client reports every channel shutdown here too; only a cancel on a channel still open (and still ours)
        // needs a new consumer. A dropped connection recovers the consumer on the same channel by itself.
        if (!_disposed && sender is AsyncEventingBasicConsumer { Channel: { IsOpen: true } channel } && channel == _channel)
        {
            RequestRestart();
        }

        return Task.CompletedTask;
    }

    private void RequestRestart()
    {
        _restart = true;
        _buffer.Writer.TryWrite(WakeMarker);
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _buffer.Writer.TryComplete();
        await _start.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_channel is not null)
            {
                // Closing the channel hands every unacked delivery back to the queue.
                try
                {
                    // Bounded: a handler that ignores cancellation may still block the client's delivery thread.
                    await _channel.CloseAsync().WaitAsync(CloseTimeout).ConfigureAwait(false);
                }
#pragma warning disable CA1031 // Already closed with the connection: nothing more to give back.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    LogSkipped(_logger, 0, _queue, ex);
                }

                await _channel.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _start.Release();
        }
    }

    [LoggerMessage(LogLevel.Debug, "Skipped settling {Count} message(s) of {Queue}: their channel closed, so the broker redelivers them.")]
    private static partial void LogSkipped(ILogger logger, int count, string queue);

    [LoggerMessage(LogLevel.Debug, "Could not give back {Count} message(s) of {Queue}: their channel closed, so the broker redelivers them.")]
    private static partial void LogSkipped(ILogger logger, int count, string queue, Exception ex);

    [LoggerMessage(LogLevel.Warning, "The consumer channel of {Queue} closed ({Reason}); unacked messages go back to the queue, and it re-attaches when the connection recovers.")]
    private static partial void LogChannelLost(ILogger logger, string queue, string reason);
}
