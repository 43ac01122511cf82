using System.Diagnostics;
using Tidings.RabbitMQ.Tests.Support;

[assembly: AssemblyFixture(typeof(Broker))]

namespace Tidings.RabbitMQ.Tests.Support;

/// <summary>
/// The RabbitMQ these tests run against: the local broker (which test.sh installs and starts), in a virtual host of
/// this run's own, deleted at the end, so that runs never see each other's queues. TIDINGS_RABBITMQ_URI points the
/// tests at another broker instead (no virtual host is made there).
/// </summary>
public sealed class Broker : IAsyncLifetime
{
    private static readonly string VirtualHost = "tidings-tests-" + Guid.NewGuid().ToString("N")[..8];
    private static readonly string? External = Environment.GetEnvironmentVariable("TIDINGS_RABBITMQ_URI");

    /// <summary>The AMQP URI of this run's virtual host.</summary>
    public static Uri Uri { get; } = new(External ?? $"amqp://guest:guest@127.0.0.1:5672/{VirtualHost}");

    public async ValueTask InitializeAsync()
    {
        if (External is null)
        {
            await Ctl("add_vhost", VirtualHost);
            await Ctl("set_permissions", "-p", VirtualHost, "guest", ".*", ".*", ".*");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (External is null)
        {
            await Ctl("delete_vhost", VirtualHost);
            foreach (var extra in ExtraVirtualHosts)
            {
                await Ctl("delete_vhost", extra);
            }
        }
    }

    private static readonly System.Collections.Concurrent.ConcurrentBag<string> ExtraVirtualHosts = [];

    /// <summary>
    /// A virtual host of its own, for a test whose worker processes use fixed queue names; deleted at the end of the run.
    /// On an external broker, its one virtual host.
    /// </summary>
    public static async Task<Uri> NewVirtualHostAsync()
    {
        if (External is not null)
        {
            return Uri;
        }

        var name = "tidings-tests-" + Guid.NewGuid().ToString("N")[..8];
        ExtraVirtualHosts.Add(name);
        await Ctl("add_vhost", name);
        await Ctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*");
        return new Uri($"amqp://guest:guest@127.0.0.1:5672/{name}");
    }

    /// <summary>Runs <c>rabbitmqctl</c> and fails with its output if it fails.</summary>
    public static async Task Ctl(params string[] arguments) => await Tidings.Transport.Contracts.RabbitMqCtl.RunAsync(arguments);

    /// <summary>Runs <c>rabbitmqctl</c> and returns what it printed.</summary>
    public static string Query(params string[] arguments) => Tidings.Transport.Contracts.RabbitMqCtl.RunAsync(arguments).GetAwaiter().GetResult();

    public static RabbitMqTransportOptions Options(QueueType queueType = QueueType.Quorum) => new()
    {
        ConnectionString = Uri,
        QueueType = queueType,
        RecoveryInterval = TimeSpan.FromMilliseconds(500),
    };
}
