using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Tidings.RabbitMQ;
using Tidings.Sqlite;
using Tidings.Transport;

namespace CoffeeShop.Cli;

/// <summary>
/// How orders ended, heard on the bus (OrderCompleted and OrderCancelled, on a queue of the tool's own) instead of
/// asked of the counter: for a suite the tool started itself, where reading thousands of statuses would load the counter
/// it measures.
/// </summary>
public sealed class OutcomeFeed : IAsyncDisposable
{
    private readonly ITransport _bus;
    private readonly IMessageReceiver _receiver;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _listening;

    private OutcomeFeed(ITransport bus, IMessageReceiver receiver)
    {
        (_bus, _receiver) = (bus, receiver);
        _listening = ListenAsync(_stop.Token);
    }

    /// <summary>Order id → (outcome, when it was heard).</summary>
    public ConcurrentDictionary<string, (string Outcome, long At)> Ended { get; } = new(StringComparer.Ordinal);

    /// <summary>Subscribes before any order is placed: the events of later orders all arrive. On RabbitMQ if <paramref name="rabbitMq"/> is given.</summary>
    public static async Task<OutcomeFeed> StartAsync(string busFile, string? rabbitMq, CancellationToken cancellationToken)
    {
        ITransport bus = rabbitMq is null
            ? new SqliteTransport(new SqliteTransportOptions { Path = busFile, PollInterval = TimeSpan.FromMilliseconds(20) })
            : new RabbitMqTransport(new RabbitMqTransportOptions { ConnectionString = new Uri(rabbitMq) });
        var queue = "coffeeshop-cli-" + Guid.NewGuid().ToString("N")[..8];
        // Temporary: it goes with the tool.
        await bus.DeclareAsync(new QueueDeclaration(queue, ["coffeeshop.order-completed", "coffeeshop.order-cancelled"], Temporary: true), cancellationToken);
        return new OutcomeFeed(bus, bus.CreateReceiver(queue, new ReceiverSettings(TimeSpan.FromSeconds(30))));
    }

    private async Task ListenAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var batch = await _receiver.ReceiveAsync(500, cancellationToken);
                var at = Stopwatch.GetTimestamp();
                foreach (var message in batch)
                {
                    var body = JsonDocument.Parse(message.Envelope.Body).RootElement;
                    var outcome = message.Envelope.MessageName == "coffeeshop.order-completed" ? "served"
                        : body.GetProperty("reason").GetString() == "payment-declined" ? "written-off" : "refunded";
                    Ended.TryAdd(body.GetProperty("orderId").GetString()!, (outcome, at));
                }

                await _receiver.SettleAsync([.. batch.Select(Settlement.Ack)], cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _listening;
        await _receiver.DisposeAsync();
        await _bus.DisposeAsync();
        _stop.Dispose();
    }
}
