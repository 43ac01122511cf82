using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Tidings.Sqlite.Tests.Support;
using Tidings.Transport;

namespace Tidings.Sqlite.Tests.Transport;

public sealed class BadInputTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _directory.Dispose();

    public sealed class Handled
    {
        public ConcurrentBag<int> OrderIds { get; } = [];
    }

    public sealed class CardChargedHandler(Handled handled) : IHandleMessages<CardCharged>
    {
        public Task HandleAsync(CardCharged message, IMessageContext context, CancellationToken cancellationToken)
        {
            handled.OrderIds.Add(message.OrderId);
            return Task.CompletedTask;
        }
    }

    [Theory]
    [InlineData("deserialization-failed", "sqlite-test.card-charged", "{\"orderId\":")]
    [InlineData("unknown-message-name", "sqlite-test.never-registered", "{\"orderId\":1}")]
    [InlineData("too-large", "sqlite-test.card-charged", "LARGE")]
    public async Task Bad_input_is_dead_lettered_with_its_reason_and_the_endpoint_goes_on(string reason, string name, string body)
    {
        await using var host = await SqliteTestHost.StartAsync(_directory,
            t => t.Configure(o => o.MaxMessageBytes = 4096).AddEndpoint("work", e => e.Handle<CardCharged, CardChargedHandler>()),
            s => s.AddSingleton<Handled>());
        var handled = host.Services.GetRequiredService<Handled>();
        if (body == "LARGE")
        {
            body = $"{{\"orderId\":1,\"pad\":\"{new string('x', 5000)}\"}}";
        }

        var bad = new Envelope { MessageId = Guid.CreateVersion7(), MessageName = name, SentAt = DateTimeOffset.UtcNow, Body = Encoding.UTF8.GetBytes(body) };
        await host.Transport.SendAsync([new OutgoingMessage(Destination.Queue("work"), bad)], Ct);
        for (var i = 2; i <= 4; i++)
        {
            await host.Bus.SendAsync("work", new CardCharged(i), cancellationToken: Ct);
        }

        var dead = await host.DeadLetterAsync("work");
        Assert.Equal(bad.MessageId, dead.Envelope.MessageId);
        Assert.Equal(reason, dead.Envelope.Headers[TidingsHeaders.DeadLetterReason]);
        Assert.Equal("work", dead.Envelope.Headers[TidingsHeaders.SourceQueue]);
        Assert.Equal(body, Encoding.UTF8.GetString(dead.Envelope.Body.Span));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (handled.OrderIds.Count < 3 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, Ct);
        }

        Assert.Equal([2, 3, 4], handled.OrderIds.Order());
    }
}
