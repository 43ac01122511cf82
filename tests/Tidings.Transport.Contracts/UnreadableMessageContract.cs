using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Tidings.Transport.Contracts;

/// <summary>A bus that can also be written the transport's own way, as a foreign tool or client would write it.</summary>
public interface IUnreadableMessageFixture : IBusFixture, ITransportFixture
{
    /// <summary>
    /// Puts on <paramref name="queue"/>, the transport's own way (a row in the bus file, a publish with the raw client),
    /// every kind of message this transport cannot turn into an envelope. Returns their bodies.
    /// </summary>
    Task<IReadOnlyList<string>> WriteUnreadableAsync(string queue, CancellationToken cancellationToken);
}

/// <summary>Handled parcels, by label.</summary>
public sealed class ParcelLog
{
    public ConcurrentBag<string> Labels { get; } = [];
}

public sealed class ParcelHandler(ParcelLog log) : IHandleMessages<Parcel>
{
    public Task HandleAsync(Parcel message, IMessageContext context, CancellationToken cancellationToken)
    {
        log.Labels.Add(message.Label);
        return Task.CompletedTask;
    }
}

/// <summary>A message the transport cannot read is dead-lettered as <c>unreadable</c>; the rest of its batch is handled.</summary>
public abstract class UnreadableMessageContract<TFixture> : IAsyncLifetime
    where TFixture : IUnreadableMessageFixture, new()
{
    private readonly string _queue = "unreadable-" + Guid.NewGuid().ToString("N")[..8];

    protected TFixture Fixture { get; } = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await Fixture.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task An_unreadable_message_is_dead_lettered_with_the_parse_error_and_the_rest_of_its_batch_is_handled()
    {
        // Everything is queued before the endpoint starts, so that its first batch holds the unreadable messages among good ones.
        var transport = Fixture.Connect();
        await transport.DeclareAsync(new QueueDeclaration(_queue, []), Ct);
        await transport.SendAsync([Good("before")], Ct);
        var bodies = await Fixture.WriteUnreadableAsync(_queue, Ct);
        await transport.SendAsync([Good("after")], Ct);

        var log = new ParcelLog();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(log);
        builder.Services.AddTidings(t =>
        {
            Fixture.UseTransport(t);
            t.AddEndpoint(_queue, e => e.Handle<Parcel, ParcelHandler>());
        });
        using var host = builder.Build();
        await host.StartAsync(Ct);

        await using var deadLetters = transport.CreateReceiver(DeadLetterQueues.For(_queue), new ReceiverSettings(TimeSpan.FromSeconds(30)));
        var dead = await deadLetters.DrainAsync(bodies.Count, TimeSpan.FromSeconds(15));
        await Effects.WaitForAsync(() => log.Labels.Count == 2, TimeSpan.FromSeconds(15), () => $"handled [{string.Join(", ", log.Labels)}]");
        await host.StopAsync(Ct);

        Assert.Equal(["after", "before"], log.Labels.Order());
        Assert.Equal(bodies.Order(), dead.Select(m => m.BodyText()).Order());
        Assert.All(dead, m =>
        {
            Assert.Equal("unreadable", m.Envelope.Headers[TidingsHeaders.DeadLetterReason]);
            Assert.Equal(_queue, m.Envelope.Headers[TidingsHeaders.SourceQueue]);
            Assert.False(string.IsNullOrEmpty(m.Envelope.Headers[TidingsHeaders.ExceptionMessage]));
        });
    }

    private OutgoingMessage Good(string label) => new(Destination.Queue(_queue), new Envelope
    {
        MessageId = Envelope.NewMessageId(),
        MessageName = "contract.parcel",
        SentAt = DateTimeOffset.UtcNow,
        Body = System.Text.Encoding.UTF8.GetBytes($"{{\"label\":\"{label}\"}}"),
    });
}
