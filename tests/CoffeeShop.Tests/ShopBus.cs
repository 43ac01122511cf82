using System.Text.Json;
using CoffeeShop.Cli;
using Tidings.Sqlite;
using Tidings.Transport.Contracts;
using Tidings.Transport;
using Tidings;

namespace CoffeeShop.Tests;

/// <summary>
/// A test's CoffeeShop: a data folder of its own with the SQLite bus file the services share, and the test on that bus
/// as the services it plays itself (receiving on their queues, publishing their events).
/// </summary>
public sealed class ShopBus : IAsyncDisposable
{
    private readonly SqliteTransport _bus;
    private readonly Dictionary<string, IMessageReceiver> _queues = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Queue<ReceivedMessage>> _buffered = new(StringComparer.Ordinal);

    private ShopBus(string data, SqliteTransport bus) => (Data, _bus) = (data, bus);

    /// <summary>The data folder the services are given.</summary>
    public string Data { get; }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A new shop whose test receives on each of <paramref name="queues"/> (name and the topics it subscribes to).</summary>
    public static async Task<ShopBus> StartAsync(params (string Queue, string[] Topics)[] queues)
    {
        var data = Path.Combine(Path.GetTempPath(), "coffeeshop-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(data);
        var shop = new ShopBus(data, new SqliteTransport(new SqliteTransportOptions { Path = Path.Combine(data, "bus.db"), PollInterval = TimeSpan.FromMilliseconds(20) }));
        foreach (var (queue, topics) in queues)
        {
            await shop._bus.DeclareAsync(new QueueDeclaration(queue, topics), Ct);
            shop._queues[queue] = shop._bus.CreateReceiver(queue, new ReceiverSettings(TimeSpan.FromSeconds(30)));
        }

        return shop;
    }

    /// <summary>Publishes <paramref name="message"/> as event <paramref name="name"/>, as the service that owns it would.</summary>
    public Task PublishAsync<T>(string name, T message) => _bus.SendAsync(
        [new OutgoingMessage(Destination.Topic(name), new Envelope
        {
            MessageId = Envelope.NewMessageId(),
            MessageName = name,
            SentAt = DateTimeOffset.UtcNow,
            Body = JsonSerializer.SerializeToUtf8Bytes(message, JsonSerializerOptions.Web),
        })],
        Ct);

    /// <summary>The next message on <paramref name="queue"/>, which must be a <paramref name="name"/>; its body.</summary>
    public async Task<JsonElement> NextAsync(string queue, string name, ServiceRun? explain = null)
    {
        // A receive may bring several at once (they were acknowledged together): the later ones wait here for their turn.
        var buffered = _buffered.TryGetValue(queue, out var waiting) ? waiting : _buffered[queue] = new Queue<ReceivedMessage>();
        if (buffered.Count == 0)
        {
            foreach (var message in await _queues[queue].DrainAsync(1, TimeSpan.FromSeconds(45)))
            {
                buffered.Enqueue(message);
            }
        }

        Assert.True(buffered.Count > 0, $"no {name} came on {queue}; {explain?.Output}");
        var next = buffered.Dequeue();
        Assert.Equal(name, next.Envelope.MessageName);
        return JsonDocument.Parse(next.BodyText()).RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var receiver in _queues.Values)
        {
            await receiver.DisposeAsync();
        }

        await _bus.DisposeAsync();
        try
        {
            Directory.Delete(Data, recursive: true);
        }
        catch (IOException)
        {
            // A temporary folder.
        }
    }
}
