using System.Text;
using RabbitMQ.Client;
using Tidings.RabbitMQ.Tests.Support;
using Tidings.Transport;
using Tidings.Transport.Contracts;

namespace Tidings.RabbitMQ.Tests.Transport;

/// <summary>Each connection is a transport of its own, as another process would have; all on this run's virtual host.</summary>
public abstract class RabbitMqFixture(QueueType queueType) : IUnreadableMessageFixture
{
    private readonly List<RabbitMqTransport> _connections = [];

    public AbandonedMessagesReturn AbandonedMessagesReturn => AbandonedMessagesReturn.AtDisconnect;

    public ITransport Connect()
    {
        var transport = new RabbitMqTransport(Broker.Options(queueType));
        _connections.Add(transport);
        return transport;
    }

    public void UseTransport(TidingsBuilder builder) => builder.UseRabbitMq(Broker.Options(queueType));

    /// <summary>A publish with the raw client whose Tidings header holds a value of the wrong kind.</summary>
    public async Task<IReadOnlyList<string>> WriteUnreadableAsync(string queue, CancellationToken cancellationToken)
    {
        const string body = "{\"label\":\"bad sent-at\"}";
        var factory = new ConnectionFactory { Uri = Broker.Uri };
        await using var connection = await factory.CreateConnectionAsync(cancellationToken);
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true), cancellationToken);
        var properties = new BasicProperties
        {
            Type = "contract.parcel", MessageId = Guid.NewGuid().ToString(), ContentType = "application/json", DeliveryMode = DeliveryModes.Persistent,
            Headers = new Dictionary<string, object?> { ["tidings-sent-at"] = "yesterday" },
        };
        await channel.BasicPublishAsync("", queue, mandatory: true, properties, Encoding.UTF8.GetBytes(body), cancellationToken);
        return [body];
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}

public sealed class QuorumQueues() : RabbitMqFixture(QueueType.Quorum);

public sealed class ClassicQueues() : RabbitMqFixture(QueueType.Classic);

public sealed class RabbitMqQuorumTransportContract : TransportContract<QuorumQueues>;

public sealed class RabbitMqClassicTransportContract : TransportContract<ClassicQueues>;

public sealed class RabbitMqRequestReplyContract : RequestReplyContract<QuorumQueues>;

public sealed class RabbitMqUnreadableMessageContract : UnreadableMessageContract<QuorumQueues>;
