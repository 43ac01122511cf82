using System.Text;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;
using Tidings.RabbitMQ.Tests.Support;
using Tidings.Sqlite;
using Tidings.Transport;
using Tidings.Transport.Contracts;

namespace Tidings.RabbitMQ.Tests.Transport;

/// <summary>Messages a foreign client put on an endpoint's queue with the raw client: refused with a reason, nothing lost.</summary>
public sealed class BadInputTests : IAsyncDisposable
{
    private readonly TestHosts _hosts = new();

    public ValueTask DisposeAsync() => _hosts.DisposeAsync();

    [Theory]
    [InlineData("deserialization-failed", "rabbitmq-test.numbered", "{\"seq\":")]
    [InlineData("unknown-message-name", "System.IO.FileInfo, System.IO.FileSystem", "{\"seq\":1}")]
    [InlineData("unknown-message-name", null, "{\"seq\":1}")]
    [InlineData("too-large", "rabbitmq-test.numbered", "LARGE")]
    public async Task A_foreign_message_that_cannot_be_handled_is_dead_lettered_with_its_reason_and_the_endpoint_goes_on(
        string reason, string? type, string body)
    {
        var queue = "bad-" + Guid.NewGuid().ToString("N")[..8];
        var recorder = new Recorder();
        var host = await _hosts.StartAsync(
            t => t.UseRabbitMq(Broker.Options())
                .Configure(o => o.MaxMessageBytes = 4096)
                .AddEndpoint(queue, e => e.Handle<Numbered, NumberedHandler>()),
            s => s.AddSingleton(recorder));
        if (body == "LARGE")
        {
            body = $"{{\"seq\":1,\"pad\":\"{new string('x', 5000)}\"}}";
        }

        var factory = new ConnectionFactory { Uri = Broker.Uri };
        await using (var connection = await factory.CreateConnectionAsync(TestContext.Current.CancellationToken))
        await using (var channel = await connection.CreateChannelAsync(cancellationToken: TestContext.Current.CancellationToken))
        {
            var properties = new BasicProperties { Type = type, MessageId = "not-a-guid", ContentType = "application/json", DeliveryMode = DeliveryModes.Persistent };
            await channel.BasicPublishAsync("", queue, mandatory: true, properties, Encoding.UTF8.GetBytes(body), TestContext.Current.CancellationToken);
        }

        var bus = host.Services.GetRequiredService<IBus>();
        await bus.SendAsync(queue, new Numbered(2), cancellationToken: TestContext.Current.CancellationToken);

        await using var transport = new RabbitMqTransport(Broker.Options() with { RunDelayForwarder = false });
        await using var deadLetters = transport.CreateReceiver(DeadLetterQueues.For(queue), new ReceiverSettings(TimeSpan.FromSeconds(30)));
        var dead = Assert.Single(await deadLetters.ReceiveWithin(TimeSpan.FromSeconds(15)));
        Assert.Equal(reason, dead.Envelope.Headers[TidingsHeaders.DeadLetterReason]);
        Assert.Equal(queue, dead.Envelope.Headers[TidingsHeaders.SourceQueue]);
        Assert.Equal(body, dead.BodyText());
        await Effects.WaitForAsync(() => recorder.Saw(2), TimeSpan.FromSeconds(15), () => "the endpoint stopped after the bad message");
    }

    [Fact]
    public async Task The_same_foreign_message_with_an_id_that_is_no_guid_is_handled_once_by_an_effectively_once_endpoint()
    {
        var queue = "foreign-" + Guid.NewGuid().ToString("N")[..8];
        var database = Path.Combine(Path.GetTempPath(), $"tidings-{queue}.db");
        try
        {
            var recorder = new Recorder();
            var host = await _hosts.StartAsync(
                t => t.UseRabbitMq(Broker.Options())
                    .UseSqliteStore(database)
                    .AddEndpoint(queue, e =>
                    {
                        e.Handle<Numbered, NumberedHandler>();
                        e.DeliveryMode = DeliveryMode.EffectivelyOnce;

                        // One worker: the copies meet in one batch or one after the other, never in two transactions at
                        // once (where both handlers would run and one would be rolled back: the inbox keeps database
                        // effects once, not handler runs).
                        e.Concurrency = 1;
                    }),
                s => s.AddSingleton(recorder));

            var factory = new ConnectionFactory { Uri = Broker.Uri };
            await using (var connection = await factory.CreateConnectionAsync(TestContext.Current.CancellationToken))
            await using (var channel = await connection.CreateChannelAsync(cancellationToken: TestContext.Current.CancellationToken))
            {
                // A foreign publisher sends its message twice (its retry after a lost confirm, say), with its own id.
                for (var i = 0; i < 2; i++)
                {
                    var properties = new BasicProperties
                    {
                        Type = "rabbitmq-test.numbered", MessageId = "order-77/charge", ContentType = "application/json", DeliveryMode = DeliveryModes.Persistent,
                    };
                    await channel.BasicPublishAsync("", queue, mandatory: true, properties, Encoding.UTF8.GetBytes("{\"seq\":1}"), TestContext.Current.CancellationToken);
                }
            }

            var bus = host.Services.GetRequiredService<IBus>();
            await bus.SendAsync(queue, new Numbered(2), cancellationToken: TestContext.Current.CancellationToken);
            await Effects.WaitForAsync(() => recorder.Saw(2), TimeSpan.FromSeconds(15), () => "the endpoint did not get to the last message");
            Assert.Equal(1, recorder.TimesHandled(1));
        }
        finally
        {
            await _hosts.DisposeAsync();
            foreach (var file in Directory.GetFiles(Path.GetTempPath(), $"tidings-{queue}.db*"))
            {
                File.Delete(file);
            }
        }
    }
}
