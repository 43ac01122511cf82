using Microsoft.Extensions.DependencyInjection;
using Tidings.Sqlite.Tests.Support;
using Tidings.Transport.Contracts;

namespace Tidings.Sqlite.Tests.Sagas;

[MessageName("test.schedule.reminder")]
public sealed record Reminder(string Text);

/// <summary>Messages scheduled by any code, outside a unit of work: durable, sent once when due, gone when cancelled.</summary>
public sealed class ScheduledMessageTests : IAsyncDisposable
{
    private readonly FakeClockService _service = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask DisposeAsync() => _service.DisposeAsync();

    [Fact]
    public async Task A_scheduled_message_is_sent_when_due_and_a_cancelled_one_never()
    {
        await _service.StartAsync(t => t.AddMessage<Reminder>());
        await using var reminders = await _service.ListenAsync("reminders");
        var scheduler = _service.Services.GetRequiredService<IMessageScheduler>();
        var now = _service.Time.GetUtcNow();

        await scheduler.ScheduleAsync("reminders", new Reminder("kept"), now.AddMinutes(10), cancellationToken: Ct);
        var cancelled = await scheduler.ScheduleAsync("reminders", new Reminder("cancelled"), now.AddMinutes(5), cancellationToken: Ct);
        Assert.True(await scheduler.CancelAsync(cancelled, Ct));
        Assert.False(await scheduler.CancelAsync(cancelled, Ct));
        Assert.Equal(1, _service.Count("tidings_schedules"));

        _service.Time.Advance(TimeSpan.FromMinutes(10));
        var sent = Assert.Single(await reminders.DrainAsync(1, TimeSpan.FromSeconds(15)));
        Assert.Equal(new Reminder("kept"), FakeClockService.Read<Reminder>(sent));
        Assert.Equal("test.schedule.reminder", sent.Envelope.MessageName);
        await Effects.WaitForAsync(() => _service.Count("tidings_schedules") == 0, TimeSpan.FromSeconds(15), () => "the sent message is still scheduled");
    }
}
