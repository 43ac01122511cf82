using Tidings.RabbitMQ.Tests.Support;
using Tidings.Transport;
using Tidings.Transport.Contracts;

namespace Tidings.RabbitMQ.Tests.Transport;

/// <summary>Each connection is a transport of its own, as another process would have; all on this run's virtual host.</summary>
public abstract class RabbitMqFixture(QueueType queueType) : ITransportFixture, IBusFixture
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
