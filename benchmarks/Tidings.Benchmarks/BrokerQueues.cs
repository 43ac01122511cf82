using RabbitMQ.Client;

namespace Tidings.Benchmarks;

/// <summary>Removes the benchmark's queues, so that every run starts empty and leaves nothing bound behind.</summary>
internal static class BrokerQueues
{
    public static async Task DeleteAsync(BenchmarkOptions options, params string[] queues)
    {
        var factory = new ConnectionFactory { Uri = new Uri(options.RabbitMq) };
        await using var connection = await factory.CreateConnectionAsync("tidings-bench-setup");
        await using var channel = await connection.CreateChannelAsync();
        foreach (var queue in queues)
        {
            await channel.QueueDeleteAsync(queue);
            await channel.QueueDeleteAsync(queue + ".deadletter");
        }
    }
}
