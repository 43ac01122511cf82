using Tidings.Tests.Support;
using Tidings.Transport;

namespace Tidings.Tests.Endpoints;

public sealed class DeliveryModeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task At_most_once_removes_the_message_before_the_handler_runs()
    {
        await using var bus = await TestBus.StartAsync(t => t.AddEndpoint("work", e =>
        {
            e.Handle<Slow, SlowHandler>();
            e.DeliveryMode = DeliveryMode.AtMostOnce;
        }));

        await bus.Bus.SendAsync("work", new Slow(1, 1000), cancellationToken: Ct);

        await bus.Recorder.WaitForAsync(r => r.Count("slow-started") == 1);
        Assert.Equal(0, bus.Transport.Count("work"));
    }

    [Fact]
    public async Task At_least_once_keeps_the_message_until_the_handler_is_done()
    {
        await using var bus = await TestBus.StartAsync(t => t.AddEndpoint("work", e => e.Handle<Slow, SlowHandler>()));

        await bus.Bus.SendAsync("work", new Slow(1, 500), cancellationToken: Ct);

        await bus.Recorder.WaitForAsync(r => r.Count("slow-started") == 1);
        Assert.Equal(1, bus.Transport.Count("work"));
        await bus.Recorder.WaitForAsync(r => r.Of<Slow>().Any());
        await WaitUntil(() => bus.Transport.Count("work") == 0);
    }

    [Fact]
    public async Task At_most_once_still_dead_letters_a_failing_message_rather_than_dropping_it()
    {
        await using var bus = await TestBus.StartAsync(t => t.AddEndpoint("work", e =>
        {
            e.Handle<Flaky, FlakyHandler>();
            e.DeliveryMode = DeliveryMode.AtMostOnce;
            e.Retries = RetryPolicy.None;
        }));

        await bus.Bus.SendAsync("work", new Flaky(1, -1), cancellationToken: Ct);

        var dead = await bus.DeadLetterAsync("work");
        Assert.Equal("handler-failed", dead.Envelope.Headers[TidingsHeaders.DeadLetterReason]);
    }

    internal static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(10, Ct);
        }
    }
}
