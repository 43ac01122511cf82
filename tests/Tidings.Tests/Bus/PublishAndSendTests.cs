using Tidings.Tests.Support;

namespace Tidings.Tests.Bus;

public sealed class PublishAndSendTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_published_event_reaches_every_subscribed_endpoint_with_its_metadata()
    {
        await using var bus = await TestBus.StartAsync(t => t
            .AddEndpoint("barista", e => e.Handle<OrderPlaced, RecordingHandler>())
            .AddEndpoint("rewards", e => e.Handle<OrderPlaced, RecordingHandler>()));

        await bus.Bus.PublishAsync(new OrderPlaced(7), new SendOptions { CorrelationId = "cup-ada", Headers = new Dictionary<string, string> { ["x-app"] = "counter" } }, Ct);

        await bus.Recorder.WaitForAsync(r => r.Of<OrderPlaced>().Count() == 2);
        var envelopes = bus.Recorder.Handled.Select(h => h.Envelope).ToList();
        Assert.All(envelopes, e =>
        {
            Assert.Equal("test.order-placed", e.MessageName);
            Assert.Equal("cup-ada", e.CorrelationId);
            Assert.Equal("counter", e.Headers["x-app"]);
            Assert.Equal(7, e.MessageId.Version);
        });
        Assert.Single(envelopes.Select(e => e.MessageId).Distinct());
        Assert.All(bus.Recorder.Of<OrderPlaced>(), m => Assert.Equal(7, m.OrderId));
    }

    [Fact]
    public async Task A_sent_command_reaches_only_the_named_endpoint()
    {
        // One worker each: messages of a queue are handled in order, so a later marker proves nothing else came first.
        await using var bus = await TestBus.StartAsync(t => t
            .AddEndpoint("barista", e => e.Handle<MakeDrink, RecordingHandler>().Concurrency = 1)
            .AddEndpoint("rewards", e => e.Handle<MakeDrink, RecordingHandler>().Handle<DrinkReady, RecordingHandler>().Concurrency = 1));

        await bus.Bus.SendAsync("barista", new MakeDrink(1), cancellationToken: Ct);
        await bus.Bus.SendAsync("barista", new MakeDrink(2), cancellationToken: Ct);
        await bus.Bus.SendAsync("rewards", new DrinkReady(2), cancellationToken: Ct);

        await bus.Recorder.WaitForAsync(r => r.Of<MakeDrink>().Any(m => m.OrderId == 2) && r.Of<DrinkReady>().Any());
        Assert.Equal([1, 2], bus.Recorder.Of<MakeDrink>().Select(m => m.OrderId));
        Assert.Equal(0, bus.Transport.Count("rewards"));
    }

    [Fact]
    public async Task Messages_sent_by_a_handler_carry_its_correlation_and_name_it_as_their_cause()
    {
        await using var bus = await TestBus.StartAsync(t => t
            .AddEndpoint("counter", e => e.Handle<OrderPlaced, OrderSagaHandler>())
            .AddEndpoint("barista", e => e.Handle<MakeDrink, RecordingHandler>().Handle<DrinkReady, RecordingHandler>()));

        var orderId = Guid.CreateVersion7();
        await bus.Bus.PublishAsync(new OrderPlaced(3), new SendOptions { CorrelationId = "cup-bo", MessageId = orderId }, Ct);

        await bus.Recorder.WaitForAsync(r => r.Of<MakeDrink>().Any() && r.Of<DrinkReady>().Any());
        Assert.All(bus.Recorder.Handled, h =>
        {
            Assert.Equal("cup-bo", h.Envelope.CorrelationId);
            Assert.Equal(orderId.ToString(), h.Envelope.CausationId);
        });
    }

    [Fact]
    public async Task A_conversation_started_without_a_correlation_id_is_correlated_by_its_first_message_id()
    {
        await using var bus = await TestBus.StartAsync(t => t
            .AddEndpoint("counter", e => e.Handle<OrderPlaced, OrderSagaHandler>())
            .AddEndpoint("barista", e => e.Handle<MakeDrink, RecordingHandler>().Handle<DrinkReady, RecordingHandler>()));

        var orderId = Guid.CreateVersion7();
        await bus.Bus.PublishAsync(new OrderPlaced(5), new SendOptions { MessageId = orderId }, Ct);

        await bus.Recorder.WaitForAsync(r => r.Of<MakeDrink>().Any() && r.Of<DrinkReady>().Any());
        Assert.All(bus.Recorder.Handled, h => Assert.Equal(orderId.ToString(), h.Envelope.CorrelationId));
    }

    [Fact]
    public async Task Messages_staged_by_a_failing_handler_never_leave()
    {
        await using var bus = await TestBus.StartAsync(t => t
            .AddEndpoint("counter", e =>
            {
                e.Handle<OrderPlaced, OrderSagaHandler>();
                e.Retries = new RetryPolicy { ImmediateRetries = 2, DelayedRedeliveries = 0 };
            })
            .AddEndpoint("barista", e => e.Handle<MakeDrink, RecordingHandler>().Handle<DrinkReady, RecordingHandler>().Concurrency = 1));

        await bus.Bus.PublishAsync(new OrderPlaced(-1), cancellationToken: Ct);

        var dead = await bus.DeadLetterAsync("counter");
        Assert.Equal(3, bus.Recorder.Count("saga-attempts"));
        Assert.Equal("3", dead.Envelope.Headers[TidingsHeaders.Attempts]);

        // An order that succeeds sends the same messages: once they are handled, whatever the failed attempts had
        // sent would have been handled before them (one barista worker, messages in order).
        await bus.Bus.PublishAsync(new OrderPlaced(4), cancellationToken: Ct);
        await bus.Recorder.WaitForAsync(r => r.Of<MakeDrink>().Any() && r.Of<DrinkReady>().Any());
        Assert.Equal([4], bus.Recorder.Of<MakeDrink>().Select(m => m.OrderId));
        Assert.Equal([4], bus.Recorder.Of<DrinkReady>().Select(m => m.OrderId));
    }

    [Fact]
    public async Task A_delayed_send_is_not_handled_before_its_time()
    {
        await using var bus = await TestBus.StartAsync(t => t.AddEndpoint("barista", e => e.Handle<MakeDrink, RecordingHandler>()));

        var sentAt = DateTimeOffset.UtcNow;
        await bus.Bus.SendAsync("barista", new MakeDrink(1), new SendOptions { Delay = TimeSpan.FromMilliseconds(600) }, Ct);

        await bus.Recorder.WaitForAsync(r => r.Of<MakeDrink>().Any());
        Assert.True(DateTimeOffset.UtcNow - sentAt >= TimeSpan.FromMilliseconds(590));
    }

    [Fact]
    public async Task A_handler_replies_to_the_queue_the_request_named()
    {
        await using var bus = await TestBus.StartAsync(t => t
            .AddEndpoint("barista", e => e.Handle<MakeDrink, ReplyingHandler>())
            .AddEndpoint("counter", e => e.Handle<DrinkReady, RecordingHandler>()));

        await bus.Bus.SendAsync("barista", new MakeDrink(9), new SendOptions { ReplyTo = "counter" }, Ct);

        await bus.Recorder.WaitForAsync(r => r.Of<DrinkReady>().Any());
        Assert.Equal(9, bus.Recorder.Of<DrinkReady>().Single().OrderId);
    }

    [Fact]
    public async Task A_reply_to_a_message_that_asked_for_none_fails_and_is_dead_lettered_with_the_reason()
    {
        await using var bus = await TestBus.StartAsync(t => t.AddEndpoint("barista", e =>
        {
            e.Handle<MakeDrink, ReplyingHandler>();
            e.Retries = RetryPolicy.None;
        }));

        await bus.Bus.SendAsync("barista", new MakeDrink(9), cancellationToken: Ct);

        var dead = await bus.DeadLetterAsync("barista");
        Assert.Contains("asked for no reply", dead.Envelope.Headers[TidingsHeaders.ExceptionMessage], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_send_to_an_endpoint_nobody_declared_fails_for_the_caller()
    {
        await using var bus = await TestBus.StartAsync(t => t.AddEndpoint("barista", e => e.Handle<MakeDrink, RecordingHandler>()));

        await Assert.ThrowsAsync<Tidings.Transport.UnroutableMessageException>(
            async () => await bus.Bus.SendAsync("nobody-home", new MakeDrink(1), cancellationToken: Ct));
    }

    [Fact]
    public void Effectively_once_without_a_store_is_refused_at_start_up_with_what_to_do()
    {
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        var error = Assert.Throws<InvalidOperationException>(() => services.AddTidings(t => t
            .UseInMemoryTransport()
            .AddEndpoint("barista", e =>
            {
                e.Handle<MakeDrink, RecordingHandler>();
                e.DeliveryMode = DeliveryMode.EffectivelyOnce;
            })));
        Assert.Contains("UseSqliteStore", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bus_without_a_transport_is_refused_with_what_to_do()
    {
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        var error = Assert.Throws<InvalidOperationException>(() => services.AddTidings(_ => { }));
        Assert.Contains("transport", error.Message, StringComparison.Ordinal);
    }
}
