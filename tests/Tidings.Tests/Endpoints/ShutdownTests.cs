using Tidings.Tests.Support;

namespace Tidings.Tests.Endpoints;

public sealed class ShutdownTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Stopping_lets_an_in_flight_handler_finish_and_acknowledges_its_message()
    {
        var bus = await TestBus.StartAsync(t => t.AddEndpoint("work", e => e.Handle<Slow, SlowHandler>()));
        await bus.Bus.SendAsync("work", new Slow(1, 400), cancellationToken: Ct);
        await bus.Recorder.WaitForAsync(r => r.Count("slow-started") == 1);

        await bus.DisposeAsync();

        Assert.Single(bus.Recorder.Of<Slow>());
        Assert.Equal(0, bus.Transport.Count("work"));
    }

    [Fact]
    public async Task A_handler_still_running_at_the_deadline_is_cancelled_and_its_message_returns_to_the_queue()
    {
        var bus = await TestBus.StartAsync(t => t
            .Configure(o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(200))
            .AddEndpoint("work", e => e.Handle<Slow, SlowHandler>()));
        await bus.Bus.SendAsync("work", new Slow(1, 60_000), cancellationToken: Ct);
        await bus.Recorder.WaitForAsync(r => r.Count("slow-started") == 1);

        var stopping = System.Diagnostics.Stopwatch.StartNew();
        await bus.DisposeAsync();

        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(5), $"shutdown took {stopping.Elapsed}");
        Assert.Empty(bus.Recorder.Of<Slow>());
        Assert.Equal(1, bus.Transport.Count("work"));
        Assert.Equal(0, bus.Transport.Count(Tidings.Transport.DeadLetterQueues.For("work")));
    }
}
