using System.Diagnostics;
using System.Text.Json;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Tidings.Benchmarks;

/// <summary>
/// The yardstick: RabbitMQ.Client 7 alone, written as well as we know how, with Tidings' reliability settings: a
/// durable queue of the same type, persistent messages, publisher confirms with many in flight (pipelined), and a
/// consumer that acks each message after handling it, with the endpoint's total prefetch. It serializes and
/// deserializes the same JSON as Tidings does, as a real application must.
/// </summary>
internal sealed class RawRabbitMqRig : IBenchRig
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly IConnection _publishing;
    private readonly IConnection _consuming;
    private readonly IChannel _publisher;
    private readonly IChannel _consumer;
    private readonly string _queue;
    private readonly BenchRecorder _recorder;
    private readonly BenchmarkOptions _options;

    private RawRabbitMqRig(BenchmarkOptions options, IConnection publishing, IConnection consuming, IChannel publisher, IChannel consumer, string queue, BenchRecorder recorder)
    {
        _options = options;
        _publishing = publishing;
        _consuming = consuming;
        _publisher = publisher;
        _consumer = consumer;
        _queue = queue;
        _recorder = recorder;
    }

    public bool ConsumerAllocationsIncludedLocally => true;

    public static async Task<RawRabbitMqRig> StartAsync(BenchmarkOptions options, long expected, int warmUp)
    {
        var queue = options.Queue("bench");
        await BrokerQueues.DeleteAsync(options, queue);
        var factory = new ConnectionFactory { Uri = new Uri(options.RabbitMq) };
        var publishing = await factory.CreateConnectionAsync("raw-bench (publish)");
        var consuming = await factory.CreateConnectionAsync("raw-bench (consume)");
        var publisher = await publishing.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        await publisher.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = options.QueueType });

        var recorder = new BenchRecorder { WarmUpCount = warmUp, Expected = expected };
        var consumer = await consuming.CreateChannelAsync();
        await consumer.BasicQosAsync(0, (ushort)(options.Prefetch * options.Concurrency), global: false);
        var subscriber = new AsyncEventingBasicConsumer(consumer);
        subscriber.ReceivedAsync += async (_, delivery) =>
        {
            var message = JsonSerializer.Deserialize<BenchMessage>(delivery.Body.Span, Json)!;
            recorder.Record(message);
            await consumer.BasicAckAsync(delivery.DeliveryTag, multiple: false);
        };
        await consumer.BasicConsumeAsync(queue, autoAck: false, subscriber);
        return new RawRabbitMqRig(options, publishing, consuming, publisher, consumer, queue, recorder);
    }

    public async Task PublishAsync(BenchMessage message)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(message, Json);
        var properties = new BasicProperties
        {
            MessageId = Guid.CreateVersion7().ToString(),
            Type = "bench.message",
            ContentType = "application/json",
            DeliveryMode = DeliveryModes.Persistent,
        };
        await _publisher.BasicPublishAsync("", _queue, mandatory: true, properties, body);
    }

    public async Task WarmUpAsync(string padding)
    {
        await Task.WhenAll(Enumerable.Range(1, (int)_recorder.WarmUpCount)
            .Select(i => PublishAsync(new BenchMessage(-i, Stopwatch.GetTimestamp(), padding))));
        await _recorder.WarmedUp.WaitAsync(TimeSpan.FromMinutes(1));
    }

    public async Task<ConsumerReport> WaitForConsumerAsync()
    {
        await _recorder.Done.WaitAsync(TimeSpan.FromMinutes(5));
        return _recorder.Report();
    }

    public async ValueTask DisposeAsync()
    {
        await _consumer.CloseAsync();
        await _publisher.CloseAsync();
        await _consuming.CloseAsync();
        await _publishing.CloseAsync();
        await BrokerQueues.DeleteAsync(_options, _queue);
    }
}
