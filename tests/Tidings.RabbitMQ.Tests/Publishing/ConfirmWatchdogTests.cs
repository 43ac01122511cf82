using Microsoft.Extensions.Time.Testing;
using Tidings.RabbitMQ.Publishing;

namespace Tidings.RabbitMQ.Tests.Publishing;

/// <summary>The bound on a confirm wait, with time driven by the test.</summary>
public sealed class ConfirmWatchdogTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(40);

    [Fact]
    public async Task A_confirm_that_never_comes_fails_its_send_after_the_timeout_and_not_before()
    {
        var time = new FakeTimeProvider();
        await using var watchdog = new ConfirmWatchdog(Timeout, time);
        var lost = new TaskCompletionSource();
        var waiting = watchdog.WaitAsync(lost.Task, CancellationToken.None).AsTask();

        // Each step is one look of the watchdog (a quarter of the timeout): up to the timeout, the wait goes on.
        for (var i = 0; i < 4; i++)
        {
            time.Advance(Timeout / 4);
            Assert.False(waiting.IsCompleted);
        }

        time.Advance(Timeout / 4);
        await Assert.ThrowsAsync<TimeoutException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_confirm_that_comes_ends_the_wait_and_a_stall_of_another_send_does_not_touch_it()
    {
        var time = new FakeTimeProvider();
        await using var watchdog = new ConfirmWatchdog(Timeout, time);
        var (confirmed, lost) = (new TaskCompletionSource(), new TaskCompletionSource());
        var first = watchdog.WaitAsync(confirmed.Task, CancellationToken.None).AsTask();
        var second = watchdog.WaitAsync(lost.Task, CancellationToken.None).AsTask();

        confirmed.SetResult();
        await first.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        time.Advance(Timeout * 2);

        await Assert.ThrowsAsync<TimeoutException>(() => second.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        Assert.True(first.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task A_failed_publish_fails_the_wait_with_its_own_error()
    {
        var time = new FakeTimeProvider();
        await using var watchdog = new ConfirmWatchdog(Timeout, time);
        var nacked = new TaskCompletionSource();
        var waiting = watchdog.WaitAsync(nacked.Task, CancellationToken.None).AsTask();

        nacked.SetException(new InvalidOperationException("nacked"));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        Assert.Equal("nacked", error.Message);
    }
}
