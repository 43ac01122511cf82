using System.Collections.Concurrent;
using System.Text.Json;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Tidings.Benchmarks;

/// <summary>Tidings' request/reply: <see cref="IBus.RequestAsync{TRequest, TResponse}"/> to an endpoint that replies.</summary>
internal sealed class TidingsRequestRig(BenchmarkOptions options, BenchHost host, string queue, string directory) : IRequestRig
{
    public static async Task<TidingsRequestRig> StartAsync(BenchmarkOptions options)
    {
        var queue = options.Queue("bench-rr");
        if (options.OnRabbitMq)
        {
            await BrokerQueues.DeleteAsync(options, queue);
        }

        var directory = Path.Combine(Path.GetTempPath(), "tidings-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var host = await BenchHost.StartResponderAsync(options, directory, queue);
        return new TidingsRequestRig(options, host, queue, directory);
    }

    public Task RoundTripAsync(long seq, string padding) =>
        host.Bus.RequestAsync<BenchRequest, BenchReply>(queue, new BenchRequest(seq, padding));

    public async ValueTask DisposeAsync()
    {
        await host.DisposeAsync();
        if (options.OnRabbitMq)
        {
            await BrokerQueues.DeleteAsync(options, queue);
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(directory, recursive: true);
    }
}

/// <summary>
/// The raw client's request/reply, as good as it gets: direct reply-to (no reply queue at all), the request persistent
/// on a durable queue with a confirm, the responder acking after it replied.
/// </summary>
internal sealed class RawRequestRig : IRequestRig
{
    private const string DirectReplyTo = "amq.rabbitmq.reply-to";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _pending = new();
    private readonly BenchmarkOptions _options;
    private readonly string _queue;
    private IConnection _requesting = null!;
    private IConnection _responding = null!;
    private IChannel _requester = null!;
    private IChannel _responder = null!;

    private RawRequestRig(BenchmarkOptions options, string queue)
    {
        _options = options;
        _queue = queue;
    }

    public static async Task<RawRequestRig> StartAsync(BenchmarkOptions options)
    {
        var rig = new RawRequestRig(options, options.Queue("bench-rr"));
        await BrokerQueues.DeleteAsync(options, rig._queue);
        var factory = new ConnectionFactory { Uri = new Uri(options.RabbitMq) };
        rig._requesting = await factory.CreateConnectionAsync("raw-bench (requester)");
        rig._responding = await factory.CreateConnectionAsync("raw-bench (responder)");

        rig._responder = await rig._responding.CreateChannelAsync();
        await rig._responder.QueueDeclareAsync(rig._queue, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = options.QueueType });
        await rig._responder.BasicQosAsync(0, (ushort)options.Prefetch, global: false);
        var responder = new AsyncEventingBasicConsumer(rig._responder);
        responder.ReceivedAsync += rig.RespondAsync;
        await rig._responder.BasicConsumeAsync(rig._queue, autoAck: false, responder);

        rig._requester = await rig._requesting.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var replies = new AsyncEventingBasicConsumer(rig._requester);
        replies.ReceivedAsync += (_, delivery) =>
        {
            if (delivery.BasicProperties.CorrelationId is { } id && rig._pending.TryRemove(id, out var reply))
            {
                JsonSerializer.Deserialize<BenchReply>(delivery.Body.Span, Json);
                reply.TrySetResult();
            }

            return Task.CompletedTask;
        };
        await rig._requester.BasicConsumeAsync(DirectReplyTo, autoAck: true, replies);
        return rig;
    }

    public async Task RoundTripAsync(long seq, string padding)
    {
        var id = Guid.CreateVersion7().ToString();
        var reply = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = reply;
        var properties = new BasicProperties
        {
            MessageId = id,
            CorrelationId = id,
            ReplyTo = DirectReplyTo,
            Type = "bench.request",
            ContentType = "application/json",
            DeliveryMode = DeliveryModes.Persistent,
        };
        await _requester.BasicPublishAsync("", _queue, mandatory: true, properties, JsonSerializer.SerializeToUtf8Bytes(new BenchRequest(seq, padding), Json));
        await reply.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    private async Task RespondAsync(object sender, BasicDeliverEventArgs delivery)
    {
        var request = JsonSerializer.Deserialize<BenchRequest>(delivery.Body.Span, Json)!;
        var properties = new BasicProperties { CorrelationId = delivery.BasicProperties.CorrelationId, Type = "bench.reply", ContentType = "application/json" };
        await _responder.BasicPublishAsync("", delivery.BasicProperties.ReplyTo!, mandatory: false, properties, JsonSerializer.SerializeToUtf8Bytes(new BenchReply(request.Seq), Json));
        await _responder.BasicAckAsync(delivery.DeliveryTag, multiple: false);
    }

    public async ValueTask DisposeAsync()
    {
        await _requester.CloseAsync();
        await _responder.CloseAsync();
        await _requesting.CloseAsync();
        await _responding.CloseAsync();
        await BrokerQueues.DeleteAsync(_options, _queue);
    }
}
