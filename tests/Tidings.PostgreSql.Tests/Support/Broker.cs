using RabbitMQ.Client;
using Tidings.Transport;

namespace Tidings.PostgreSql.Tests.Support;

/// <summary>The RabbitMQ the end-to-end tests use (the local broker, its default virtual host, unique queue names).</summary>
public static class Broker
{
    public static Uri Uri { get; } = new(Environment.GetEnvironmentVariable("TIDINGS_RABBITMQ_URI") ?? "amqp://guest:guest@127.0.0.1:5672/");

    /// <summary>Deletes a test's queues and their dead-letter queues: the virtual host is shared with other runs.</summary>
    public static async Task DeleteQueuesAsync(params string[] queues)
    {
        var factory = new ConnectionFactory { Uri = Uri };
        await using var connection = await factory.CreateConnectionAsync(CancellationToken.None);
        await using var channel = await connection.CreateChannelAsync();
        foreach (var queue in queues)
        {
            await channel.QueueDeleteAsync(queue);
            await channel.QueueDeleteAsync(DeadLetterQueues.For(queue));
        }
    }
}
