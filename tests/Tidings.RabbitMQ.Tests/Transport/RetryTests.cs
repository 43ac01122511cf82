using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Tidings.RabbitMQ.Tests.Support;
using Tidings.Transport;
using Tidings.Transport.Contracts;

namespace Tidings.RabbitMQ.Tests.Transport;

[MessageName("rabbitmq-test.flaky")]
public sealed record Flaky(int FailTimes);

/// <summary>Fails the first <see cref="Flaky.FailTimes"/> attempts; records every attempt's delivery count.</summary>
public sealed class FlakyHandler(FlakyHandler.Attempts attempts) : IHandleMessages<Flaky>
{
    public sealed class Attempts
    {
        public ConcurrentQueue<(DateTimeOffset At, int DeliveryCount)> All { get; } = new();
    }

    public Task HandleAsync(Flaky message, IMessageContext context, CancellationToken cancellationToken)
    {
        attempts.All.Enqueue((DateTimeOffset.UtcNow, context.DeliveryCount));
        return attempts.All.Count <= message.FailTimes
            ? throw new InvalidOperationException("the espresso machine is cold")
            : Task.CompletedTask;
    }
}

/// <summary>The whole retry path through the broker: immediate retries, delayed redeliveries through the delay tiers, the dead-letter queue.</summary>
public sealed class RetryTests : IAsyncDisposable
{
    private static readonly RetryPolicy Quick = new()
    {
        ImmediateRetries = 1,
        DelayedRedeliveries = 2,
        BaseDelay = TimeSpan.FromMilliseconds(300),
        Jitter = 0,
    };

    private readonly TestHosts _hosts = new();

    public ValueTask DisposeAsync() => _hosts.DisposeAsync();

    [Fact]
    public async Task A_failing_handler_is_redelivered_after_its_delays_and_then_succeeds()
    {
        var (bus, queue, attempts) = await StartAsync();

        await bus.SendAsync(queue, new Flaky(FailTimes: 3), cancellationToken: TestContext.Current.CancellationToken);

        await Effects.WaitForAsync(() => attempts.All.Count == 4, TimeSpan.FromSeconds(20), () => $"{attempts.All.Count} attempts");
        var all = attempts.All.ToArray();

        // Two immediate attempts, then a delayed redelivery, which fails once more and is redelivered again.
        Assert.True(all[2].At - all[1].At >= TimeSpan.FromMilliseconds(290), $"redelivered after {(all[2].At - all[1].At).TotalMilliseconds} ms");
        Assert.Equal([1, 1, 2, 2], all.Select(a => a.DeliveryCount));
    }

    [Fact]
    public async Task A_handler_that_keeps_failing_ends_in_the_dead_letter_queue_with_the_exception()
    {
        var (bus, queue, attempts) = await StartAsync();

        await bus.SendAsync(queue, new Flaky(FailTimes: 100), cancellationToken: TestContext.Current.CancellationToken);

        await using var transport = new RabbitMqTransport(Broker.Options() with { RunDelayForwarder = false });
        await using var deadLetters = transport.CreateReceiver(DeadLetterQueues.For(queue), new ReceiverSettings(TimeSpan.FromSeconds(30)));
        var dead = Assert.Single(await deadLetters.ReceiveWithin(TimeSpan.FromSeconds(20)));
        Assert.Equal("handler-failed", dead.Envelope.Headers[TidingsHeaders.DeadLetterReason]);
        Assert.Equal("the espresso machine is cold", dead.Envelope.Headers[TidingsHeaders.ExceptionMessage]);
        Assert.Equal(6, attempts.All.Count); // (1 + 1 immediate) × (1 + 2 redeliveries)
    }

    private async Task<(IBus Bus, string Queue, FlakyHandler.Attempts Attempts)> StartAsync()
    {
        var queue = "flaky-" + Guid.NewGuid().ToString("N")[..8];
        var attempts = new FlakyHandler.Attempts();
        var host = await _hosts.StartAsync(
            t => t.UseRabbitMq(Broker.Options()).AddEndpoint(queue, e =>
            {
                e.Handle<Flaky, FlakyHandler>();
                e.Retries = Quick;
            }),
            s => s.AddSingleton(attempts));
        return (host.Services.GetRequiredService<IBus>(), queue, attempts);
    }
}
