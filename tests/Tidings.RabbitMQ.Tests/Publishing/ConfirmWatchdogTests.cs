using Microsoft.Extensions.Time.Testing;
using Tidings.RabbitMQ.Publishing;

namespace Tidings.RabbitMQ.Tests.Publishing;

/// <summary>The bound on a confirm wait, with time driven by the test: the epoch's token is cancelled synchronously by the tick.</summary>
public sealed class ConfirmWatchdogTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(40);
    private static readonly TimeSpan Tick = Timeout / 4;

    [Fact]
    public async Task A_wait_that_outlives_the_timeout_is_cancelled_and_not_before()
    {
        var time = new FakeTimeProvider();
        await using var watchdog = new ConfirmWatchdog(Timeout, time);
        var expired = watchdog.Enter(out var epoch);

        // Its epoch ends at the first tick; the timeout runs from there.
        for (var tick = 1; tick <= 4; tick++)
        {
            time.Advance(Tick);
            Assert.False(expired.IsCancellationRequested, $"cancelled after {tick} ticks, before the timeout");
        }

        time.Advance(Tick);
        Assert.True(expired.IsCancellationRequested);
        ConfirmWatchdog.Leave(epoch);
    }

    [Fact]
    public async Task An_epoch_whose_waits_are_over_is_not_cancelled_and_a_later_wait_gets_a_later_epoch()
    {
        var time = new FakeTimeProvider();
        await using var watchdog = new ConfirmWatchdog(Timeout, time);
        var first = watchdog.Enter(out var firstEpoch);
        ConfirmWatchdog.Leave(firstEpoch);
        time.Advance(Tick);
        var second = watchdog.Enter(out var secondEpoch);

        for (var tick = 0; tick < 5; tick++)
        {
            time.Advance(Tick);
        }

        Assert.False(first.IsCancellationRequested);
        Assert.True(second.IsCancellationRequested);
        ConfirmWatchdog.Leave(secondEpoch);
    }

    [Fact]
    public async Task Waits_still_pending_when_the_publisher_closes_fail_rather_than_hang()
    {
        var time = new FakeTimeProvider();
        var watchdog = new ConfirmWatchdog(Timeout, time);
        var expired = watchdog.Enter(out _);

        await watchdog.DisposeAsync();

        Assert.True(expired.IsCancellationRequested);
    }
}
