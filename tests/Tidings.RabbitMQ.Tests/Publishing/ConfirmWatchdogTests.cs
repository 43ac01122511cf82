using Microsoft.Extensions.Time.Testing;
using Tidings.RabbitMQ.Publishing;

namespace Tidings.RabbitMQ.Tests.Publishing;

/// <summary>
/// The bound on a confirm wait, with time driven by the test: the epoch's token is cancelled synchronously by the tick,
/// and a wait that gives up completes on the thread pool, so the test awaits it.
/// </summary>
public sealed class ConfirmWatchdogTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(40);
    private static readonly TimeSpan Tick = Timeout / 4;

    [Fact]
    public async Task A_wait_that_outlives_the_timeout_gives_up_and_not_before()
    {
        var time = new FakeTimeProvider();
        await using var watchdog = new ConfirmWatchdog(Timeout, time);
        var confirms = new TaskCompletionSource();

        // The ValueTask itself: its status is the wait's own, read at once (a give-up completes it synchronously in the
        // tick; only the continuation goes to the thread pool).
        var wait = watchdog.WaitAsync(confirms.Task);

        // Its epoch ends at the first tick; the timeout runs from there.
        for (var tick = 1; tick <= 4; tick++)
        {
            time.Advance(Tick);
            Assert.False(wait.IsCompleted, $"gave up after {tick} ticks, before the timeout");
        }

        time.Advance(Tick);
        Assert.True(wait.IsCompleted);
        Assert.True(await wait);

        // A wait that gave up is never reused: the next wait is pending while the late confirm of the old one comes.
        var next = new TaskCompletionSource();
        var nextWait = watchdog.WaitAsync(next.Task);
        confirms.SetResult();
        Assert.False(nextWait.IsCompleted, "the late confirm of a wait that gave up ended another wait");
        next.SetResult();
        Assert.False(await nextWait);
    }

    [Fact]
    public async Task A_confirm_ends_the_wait_and_its_epoch_is_not_cancelled_while_a_later_pending_wait_is()
    {
        var time = new FakeTimeProvider();
        await using var watchdog = new ConfirmWatchdog(Timeout, time);
        var first = new TaskCompletionSource();
        var firstWait = watchdog.WaitAsync(first.Task);
        first.SetResult();
        Assert.False(await firstWait);

        time.Advance(Tick);
        var second = watchdog.WaitAsync(new TaskCompletionSource().Task).AsTask();
        for (var tick = 0; tick < 5; tick++)
        {
            time.Advance(Tick);
        }

        Assert.True(await second);
    }

    [Fact]
    public async Task Waits_are_reused_once_over_and_each_gets_its_own_outcome()
    {
        var time = new FakeTimeProvider();
        await using var watchdog = new ConfirmWatchdog(Timeout, time);
        for (var round = 0; round < 100; round++)
        {
            // Two at once, the second taken from the pool while the first is pending: each ends by its own confirm only.
            var first = new TaskCompletionSource();
            var second = new TaskCompletionSource();
            var firstWait = watchdog.WaitAsync(first.Task);
            var secondWait = watchdog.WaitAsync(second.Task);
            if (round % 2 == 0)
            {
                first.SetResult();
            }
            else
            {
                first.SetException(new InvalidOperationException("nacked"));
            }

            // A failed confirm is not a give-up: the publisher reports the failure itself.
            Assert.False(await firstWait);
            Assert.False(secondWait.IsCompleted, $"round {round}: a confirm ended another wait");
            second.SetResult();
            Assert.False(await secondWait);
        }

        var already = watchdog.WaitAsync(Task.CompletedTask);
        Assert.False(await already);
    }

    [Fact]
    public async Task Waits_still_pending_when_the_publisher_closes_give_up_rather_than_hang()
    {
        var time = new FakeTimeProvider();
        var watchdog = new ConfirmWatchdog(Timeout, time);
        var wait = watchdog.WaitAsync(new TaskCompletionSource().Task);

        await watchdog.DisposeAsync();

        Assert.True(await wait);
    }
}
