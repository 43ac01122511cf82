using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;
using Tidings.RabbitMQ.Tests.Support;
using Tidings.Transport;

namespace Tidings.RabbitMQ.Tests.Transport;

public sealed class UnroutableTests : IAsyncDisposable
{
    private readonly TestHosts _hosts = new();

    public ValueTask DisposeAsync() => _hosts.DisposeAsync();

    [Fact]
    public async Task A_send_to_a_queue_that_does_not_exist_surfaces_as_an_error()
    {
        var bus = (await _hosts.StartAsync(t => t.UseRabbitMq(Broker.Options()))).Services.GetRequiredService<IBus>();

        var error = await Assert.ThrowsAsync<UnroutableMessageException>(async () =>
            await bus.SendAsync("nobody-" + Guid.NewGuid().ToString("N")[..8], new Numbered(1), cancellationToken: TestContext.Current.CancellationToken));

        Assert.Contains("nobody-", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_queue_deleted_after_it_was_known_is_caught_by_the_mandatory_flag()
    {
        var queue = "deleted-" + Guid.NewGuid().ToString("N")[..8];
        await using var transport = new RabbitMqTransport(Broker.Options());
        await transport.DeclareAsync(new QueueDeclaration(queue, []), TestContext.Current.CancellationToken);
        await transport.SendAsync([new OutgoingMessage(Destination.Queue(queue), Tidings.Transport.Contracts.TestMessages.Envelope())], TestContext.Current.CancellationToken);

        // Someone deletes the queue behind the transport's back: only the broker can tell now.
        var factory = new ConnectionFactory { Uri = Broker.Uri };
        await using (var connection = await factory.CreateConnectionAsync(TestContext.Current.CancellationToken))
        await using (var channel = await connection.CreateChannelAsync(cancellationToken: TestContext.Current.CancellationToken))
        {
            await channel.QueueDeleteAsync(queue, cancellationToken: TestContext.Current.CancellationToken);
        }

        var error = await Assert.ThrowsAsync<UnroutableMessageException>(() => transport.SendAsync(
            [new OutgoingMessage(Destination.Queue(queue), Tidings.Transport.Contracts.TestMessages.Envelope())], TestContext.Current.CancellationToken));
        Assert.Equal(Destination.Queue(queue), error.Destination);
    }
}
