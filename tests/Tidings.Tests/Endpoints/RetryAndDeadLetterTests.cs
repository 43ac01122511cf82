using System.Text;
using Tidings.Tests.Support;
using Tidings.Transport;

namespace Tidings.Tests.Endpoints;

public sealed class RetryAndDeadLetterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static RetryPolicy Fast(int immediate, int delayed) => new()
    {
        ImmediateRetries = immediate,
        DelayedRedeliveries = delayed,
        BaseDelay = TimeSpan.FromMilliseconds(50),
        Jitter = 0,
    };

    [Fact]
    public async Task A_message_that_fails_a_few_times_succeeds_on_an_immediate_retry()
    {
        await using var bus = await TestBus.StartAsync(t => t.AddEndpoint("work", e =>
        {
            e.Handle<Flaky, FlakyHandler>();
            e.Retries = Fast(immediate: 2, delayed: 0);
        }));

        await bus.Bus.SendAsync("work", new Flaky(1, FailTimes: 2), cancellationToken: Ct);

        await bus.Recorder.WaitForAsync(r => r.Of<Flaky>().Any());
        Assert.Equal(3, bus.Recorder.Count("flaky-1"));
        Assert.Equal(0, bus.Transport.Count(DeadLetterQueues.For("work")));
    }

    [Fact]
    public async Task A_message_that_fails_past_its_immediate_retries_is_redelivered_later_and_succeeds()
    {
        await using var bus = await TestBus.StartAsync(t => t.AddEndpoint("work", e =>
        {
            e.Handle<Flaky, FlakyHandler>();
            e.Retries = Fast(immediate: 1, delayed: 3);
        }));

        await bus.Bus.SendAsync("work", new Flaky(1, FailTimes: 3), cancellationToken: Ct);

        await bus.Recorder.WaitForAsync(r => r.Of<Flaky>().Any());
        Assert.Equal(4, bus.Recorder.Count("flaky-1"));
        var handled = bus.Recorder.Handled.Single();
        Assert.Equal("1", handled.Envelope.Headers[TidingsHeaders.Redeliveries]);
    }

    [Fact]
    public async Task A_message_that_always_fails_is_dead_lettered_with_the_error_and_attempt_count()
    {
        await using var bus = await TestBus.StartAsync(t => t.AddEndpoint("work", e =>
        {
            e.Handle<Flaky, FlakyHandler>();
            e.Retries = Fast(immediate: 1, delayed: 2);
        }));

        await bus.Bus.SendAsync("work", new Flaky(1, FailTimes: -1), cancellationToken: Ct);

        var dead = await bus.DeadLetterAsync("work");
        var headers = dead.Envelope.Headers;
        Assert.Equal("handler-failed", headers[TidingsHeaders.DeadLetterReason]);
        Assert.Equal(typeof(InvalidOperationException).FullName, headers[TidingsHeaders.ExceptionType]);
        Assert.Equal("flaky 1 attempt 6", headers[TidingsHeaders.ExceptionMessage]);
        Assert.Contains(nameof(FlakyHandler), headers[TidingsHeaders.ExceptionStackTrace], StringComparison.Ordinal);
        Assert.Equal("6", headers[TidingsHeaders.Attempts]);
        Assert.Equal("work", headers[TidingsHeaders.SourceQueue]);
        Assert.Equal(6, bus.Recorder.Count("flaky-1"));
    }

    [Fact]
    public async Task A_poison_message_never_blocks_the_messages_behind_it()
    {
        await using var bus = await TestBus.StartAsync(t => t.AddEndpoint("work", e =>
        {
            e.Handle<Flaky, FlakyHandler>();
            e.Concurrency = 1;
            e.Prefetch = 1;
            e.Retries = new RetryPolicy { ImmediateRetries = 1, DelayedRedeliveries = 1, BaseDelay = TimeSpan.FromMinutes(1), Jitter = 0 };
        }));

        await bus.Bus.SendAsync("work", new Flaky(0, FailTimes: -1), cancellationToken: Ct);
        for (var i = 1; i <= 5; i++)
        {
            await bus.Bus.SendAsync("work", new Flaky(i, FailTimes: 0), cancellationToken: Ct);
        }

        // One worker taking one message at a time still handles every message behind the poison one,
        // which waits for its redelivery in the queue instead of in front of them.
        await bus.Recorder.WaitForAsync(r => r.Of<Flaky>().Count() == 5);
        Assert.Equal(2, bus.Recorder.Count("flaky-0"));
        Assert.Equal(1, bus.Transport.Count("work"));
    }

    [Fact]
    public async Task An_unknown_message_name_is_dead_lettered_at_once_and_the_next_message_is_handled()
    {
        await using var bus = await TestBus.StartAsync(t => t.AddEndpoint("work", e => e.Handle<Flaky, FlakyHandler>()));

        await bus.Transport.SendAsync([Raw("work", "Tidings.Tests.Support.Flaky, Tidings.Tests", "{\"id\":1,\"failTimes\":0}")], Ct);
        await bus.Bus.SendAsync("work", new Flaky(2, 0), cancellationToken: Ct);

        var dead = await bus.DeadLetterAsync("work");
        Assert.Equal("unknown-message-name", dead.Envelope.Headers[TidingsHeaders.DeadLetterReason]);
        Assert.Equal("1", dead.Envelope.Headers[TidingsHeaders.Attempts]);
        await bus.Recorder.WaitForAsync(r => r.Of<Flaky>().Any(f => f.Id == 2));
        Assert.Equal(0, bus.Recorder.Count("flaky-1"));
    }

    [Fact]
    public async Task A_malformed_body_is_dead_lettered_at_once_with_the_parse_error()
    {
        await using var bus = await TestBus.StartAsync(t => t.AddEndpoint("work", e => e.Handle<Flaky, FlakyHandler>()));

        await bus.Transport.SendAsync([Raw("work", "test.flaky", "{not json")], Ct);
        await bus.Bus.SendAsync("work", new Flaky(2, 0), cancellationToken: Ct);

        var dead = await bus.DeadLetterAsync("work");
        Assert.Equal("deserialization-failed", dead.Envelope.Headers[TidingsHeaders.DeadLetterReason]);
        Assert.Equal("System.Text.Json.JsonException", dead.Envelope.Headers[TidingsHeaders.ExceptionType]);
        Assert.Equal("{not json", Encoding.UTF8.GetString(dead.Envelope.Body.Span));
        await bus.Recorder.WaitForAsync(r => r.Of<Flaky>().Any(f => f.Id == 2));
    }

    [Fact]
    public async Task A_registered_message_this_endpoint_does_not_handle_is_dead_lettered_at_once()
    {
        await using var bus = await TestBus.StartAsync(t => t
            .AddMessage<OrderPlaced>()
            .AddEndpoint("work", e => e.Handle<Flaky, FlakyHandler>()));

        await bus.Bus.SendAsync("work", new OrderPlaced(1), cancellationToken: Ct);

        var dead = await bus.DeadLetterAsync("work");
        Assert.Equal("no-handler", dead.Envelope.Headers[TidingsHeaders.DeadLetterReason]);
    }

    [Fact]
    public async Task An_oversized_message_is_refused_on_send_and_dead_lettered_on_receive()
    {
        await using var bus = await TestBus.StartAsync(t => t
            .Configure(o => o.MaxMessageBytes = 1024)
            .AddEndpoint("work", e => e.Handle<Big, RecordingHandler>()));

        var error = await Assert.ThrowsAsync<MessageTooLargeException>(
            async () => await bus.Bus.SendAsync("work", new Big(new string('x', 2000)), cancellationToken: Ct));
        Assert.Contains("1024", error.Message, StringComparison.Ordinal);

        // Another service with a larger limit sent it anyway: this endpoint must refuse it, not choke on it.
        await bus.Transport.SendAsync([Raw("work", "test.big", $"{{\"payload\":\"{new string('x', 2000)}\"}}")], Ct);
        await bus.Bus.SendAsync("work", new Big("small"), cancellationToken: Ct);

        var dead = await bus.DeadLetterAsync("work");
        Assert.Equal("too-large", dead.Envelope.Headers[TidingsHeaders.DeadLetterReason]);
        await bus.Recorder.WaitForAsync(r => r.Of<Big>().Any(b => b.Payload == "small"));
        Assert.Single(bus.Recorder.Of<Big>());
    }

    [Fact]
    public async Task A_message_its_consumers_abandoned_too_often_is_dead_lettered()
    {
        var transport = new Tidings.Transport.InMemory.InMemoryTransport();
        await transport.DeclareAsync(new QueueDeclaration("work", []), Ct);
        await transport.SendAsync([Raw("work", "test.flaky", "{\"id\":1,\"failTimes\":0}")], Ct);

        // Two consumers die holding the message: they neither settle it nor renew their short leases. Each next receive
        // waits until the lease ran out and the message came back.
        for (var i = 0; i < 2; i++)
        {
            var dying = transport.CreateReceiver("work", new ReceiverSettings(TimeSpan.FromMilliseconds(100)));
            Assert.Single(await Tidings.Transport.Contracts.TestMessages.ReceiveWithin(dying, TimeSpan.FromSeconds(5)));
            await dying.DisposeAsync();
        }

        await using var bus = await TestBus.StartAsync(t => t.AddEndpoint("work", e =>
        {
            e.Handle<Flaky, FlakyHandler>();
            e.Retries = RetryPolicy.Default with { MaxAbandonedDeliveries = 2 };
        }), transport);

        var dead = await bus.DeadLetterAsync("work");
        Assert.Equal("abandoned-too-often", dead.Envelope.Headers[TidingsHeaders.DeadLetterReason]);
        Assert.Equal(0, bus.Recorder.Count("flaky-1"));
    }

    [Fact]
    public async Task Settled_retries_never_count_as_abandoned_deliveries()
    {
        await using var bus = await TestBus.StartAsync(t => t.AddEndpoint("work", e =>
        {
            e.Handle<Flaky, FlakyHandler>();
            e.Retries = Fast(immediate: 0, delayed: 5) with { MaxAbandonedDeliveries = 1 };
        }));

        await bus.Bus.SendAsync("work", new Flaky(1, FailTimes: 4), cancellationToken: Ct);

        await bus.Recorder.WaitForAsync(r => r.Of<Flaky>().Any());
        Assert.Equal(5, bus.Recorder.Count("flaky-1"));
        Assert.Equal(0, bus.Transport.Count(DeadLetterQueues.For("work")));
    }

    private static OutgoingMessage Raw(string queue, string name, string body) => new(
        Destination.Queue(queue),
        new Envelope { MessageId = Guid.CreateVersion7(), MessageName = name, SentAt = DateTimeOffset.UtcNow, Body = Encoding.UTF8.GetBytes(body) });
}
