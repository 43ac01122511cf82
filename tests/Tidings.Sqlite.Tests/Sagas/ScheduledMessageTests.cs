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

        var (sent, steps) = await _service.AdvanceUntilReceivedAsync(reminders, TimeSpan.FromMinutes(1));
        Assert.True(steps >= 10, $"sent after {steps} minutes, before it was due");
        Assert.Equal(new Reminder("kept"), FakeClockService.Read<Reminder>(sent));
        Assert.Equal("test.schedule.reminder", sent.Envelope.MessageName);
        await Effects.WaitForAsync(() => _service.Count("tidings_schedules") == 0, TimeSpan.FromSeconds(15), () => "the sent message is still scheduled");
    }

    [Fact]
    public async Task A_scheduled_message_counts_as_sent_once_when_it_leaves_not_when_it_is_scheduled()
    {
        var queue = "reminders-" + Guid.NewGuid().ToString("N")[..8]; // the counter is process-wide: a queue of this test's own
        var sent = 0;
        using var meter = new System.Diagnostics.Metrics.MeterListener();
        meter.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Tidings" && instrument.Name == "messaging.client.sent.messages")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        meter.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "messaging.destination.name" && Equals(tag.Value, queue))
                {
                    Interlocked.Add(ref sent, (int)value);
                }
            }
        });
        meter.Start();
        await _service.StartAsync(t => t.AddMessage<Reminder>());
        await using var reminders = await _service.ListenAsync(queue);
        var scheduler = _service.Services.GetRequiredService<IMessageScheduler>();

        await scheduler.ScheduleAsync(queue, new Reminder("later"), _service.Time.GetUtcNow().AddMinutes(2), cancellationToken: Ct);
        Assert.Equal(0, Volatile.Read(ref sent));

        await _service.AdvanceUntilReceivedAsync(reminders, TimeSpan.FromMinutes(1));
        await Effects.WaitForAsync(() => Volatile.Read(ref sent) > 0, TimeSpan.FromSeconds(15), () => "the sent reminder was not counted");
        await Effects.WaitForAsync(() => _service.Count("tidings_schedules") == 0, TimeSpan.FromSeconds(15), () => "the sent message is still scheduled");
        Assert.Equal(1, Volatile.Read(ref sent));
    }

    [Fact]
    public async Task A_message_scheduled_in_a_transactional_session_exists_only_if_the_session_commits()
    {
        await _service.StartAsync(t => t.AddMessage<Reminder>());
        await using var reminders = await _service.ListenAsync("reminders");
        var sessions = _service.Services.GetRequiredService<ITransactionalSessionFactory>();
        var due = _service.Time.GetUtcNow().AddMinutes(1);

        await using (var rolledBack = await sessions.BeginAsync(Ct))
        {
            await rolledBack.ScheduleAsync("reminders", new Reminder("rolled back"), due, cancellationToken: Ct);
        }

        Assert.Equal(0, _service.Count("tidings_schedules"));
        await using (var committed = await sessions.BeginAsync(Ct))
        {
            await committed.ScheduleAsync("reminders", new Reminder("committed"), due, cancellationToken: Ct);
            await committed.CommitAsync(Ct);
        }

        Assert.Equal(1, _service.Count("tidings_schedules"));
        var (sent, _) = await _service.AdvanceUntilReceivedAsync(reminders, TimeSpan.FromSeconds(30));
        Assert.Equal(new Reminder("committed"), FakeClockService.Read<Reminder>(sent));
    }
}
