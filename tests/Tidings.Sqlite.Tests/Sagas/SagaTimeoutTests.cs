using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Tidings.Sqlite.Tests.Support;
using Tidings.Stores;
using Tidings.Transport;
using Tidings.Transport.Contracts;

namespace Tidings.Sqlite.Tests.Sagas;

[MessageName("test.brew.started")]
public sealed record BrewStarted(string Cup);

[MessageName("test.brew.restarted")]
public sealed record BrewRestarted(string Cup);

[MessageName("test.brew.done")]
public sealed record BrewDone(string Cup);

[MessageName("test.brew.late")]
public sealed record BrewLate(string Cup);

[MessageName("test.brew.finished")]
public sealed record BrewFinished(string Cup, string How);

public sealed class BrewState
{
    public int Restarts { get; set; }
}

/// <summary>A drink that must be ready within two minutes of its start (or of its last restart), or it is overdue.</summary>
public sealed class BrewSaga : Saga<BrewState>
{
    public static readonly TimeSpan Deadline = TimeSpan.FromMinutes(2);

    public BrewSaga()
    {
        StartedBy<BrewStarted>(m => m.Cup, (m, saga) =>
        {
            saga.RequestTimeout("drink-late", Deadline, new BrewLate(m.Cup));
            return Task.CompletedTask;
        });
        Handles<BrewRestarted>(m => m.Cup, (m, saga) =>
        {
            saga.State.Restarts++;
            saga.RequestTimeout("drink-late", Deadline, new BrewLate(m.Cup));
            return Task.CompletedTask;
        });
        Handles<BrewDone>(m => m.Cup, async (m, saga) =>
        {
            await saga.PublishAsync(new BrewFinished(m.Cup, "ready"));
            saga.Complete();
        });
        OnTimeout<BrewLate>(async (m, saga) =>
        {
            await saga.PublishAsync(new BrewFinished(m.Cup, $"overdue after {saga.State.Restarts} restarts"));
            saga.Complete();
        });
    }
}

[MessageName("test.kettle.on")]
public sealed record KettleOn(string Cup);

/// <summary>A second saga on the brewer's endpoint whose deadline (one minute) is the same message type as the brew's.</summary>
public sealed class KettleSaga : Saga<BrewState>
{
    public KettleSaga()
    {
        StartedBy<KettleOn>(m => m.Cup, (m, saga) =>
        {
            saga.RequestTimeout("boiled-dry", TimeSpan.FromMinutes(1), new BrewLate(m.Cup));
            return Task.CompletedTask;
        });
        OnTimeout<BrewLate>(async (m, saga) =>
        {
            await saga.PublishAsync(new BrewFinished(m.Cup, "kettle boiled dry"));
            saga.Complete();
        });
    }
}

/// <summary>
/// Saga timeouts, with the service's clock driven by the test: durable in the service's database, fired once when due
/// and not before, replaced when asked for again, gone when cancelled or when the instance completes. "Not before" is
/// read from the store (how long until the next is due), never by waiting to see that nothing happens.
/// </summary>
public sealed class SagaTimeoutTests : IAsyncDisposable
{
    private readonly FakeClockService _service = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private FakeTimeProvider Time => _service.Time;

    public ValueTask DisposeAsync() => _service.DisposeAsync();

    [Fact]
    public async Task A_timeout_fires_once_when_due_and_not_before()
    {
        await using var finished = await StartAsync();
        await _service.SendAsync("brewer", "test.brew.started", new BrewStarted("ada"));
        await WaitForScheduledAsync(1);

        Time.Advance(BrewSaga.Deadline - TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.FromSeconds(1), await NextDueInAsync());

        var (done, steps) = await _service.AdvanceUntilReceivedAsync(finished, TimeSpan.FromSeconds(1));
        Assert.True(steps >= 1, "the timeout fired before it was due");
        Assert.Equal(new BrewFinished("ada", "overdue after 0 restarts"), FakeClockService.Read<BrewFinished>(done));
        await Effects.WaitForAsync(() => _service.Count("tidings_schedules") == 0 && _service.Count("tidings_sagas") == 0, TimeSpan.FromSeconds(15),
            () => "the timeout or the instance is still stored");
    }

    [Fact]
    public async Task A_timeout_cancelled_by_the_awaited_message_never_fires()
    {
        await using var finished = await StartAsync();
        await _service.SendAsync("brewer", "test.brew.started", new BrewStarted("bo"));
        await WaitForScheduledAsync(1);

        await _service.SendAsync("brewer", "test.brew.done", new BrewDone("bo"));
        Assert.Equal(new BrewFinished("bo", "ready"), FakeClockService.Read<BrewFinished>(Assert.Single(await finished.DrainAsync(1, TimeSpan.FromSeconds(15)))));

        // Completed in the same transaction that removed its timeout: nothing is left that could fire.
        Assert.Equal(0, _service.Count("tidings_schedules"));
        Assert.Null(await NextDueInAsync());
    }

    [Fact]
    public async Task A_timeout_asked_for_again_replaces_the_earlier_one()
    {
        await using var finished = await StartAsync();
        await _service.SendAsync("brewer", "test.brew.started", new BrewStarted("cy"));
        await WaitForScheduledAsync(1);

        Time.Advance(TimeSpan.FromMinutes(1));
        await _service.SendAsync("brewer", "test.brew.restarted", new BrewRestarted("cy"));
        await Effects.WaitForAsync(() => _service.Count("tidings_sagas WHERE data LIKE '%\"restarts\":1%'") == 1, TimeSpan.FromSeconds(15),
            () => "the restart was not handled");

        Assert.Equal(1, _service.Count("tidings_schedules"));
        Assert.Equal(BrewSaga.Deadline, await NextDueInAsync());

        var (done, steps) = await _service.AdvanceUntilReceivedAsync(finished, TimeSpan.FromSeconds(30));
        Assert.True(steps >= 4, $"the replaced timeout fired after {steps * 30} s, before the new one's two minutes");
        Assert.Equal(new BrewFinished("cy", "overdue after 1 restarts"), FakeClockService.Read<BrewFinished>(done));
        Assert.Equal(0, _service.Count("tidings_schedules"));
    }

    [Fact]
    public async Task A_timeout_that_comes_after_its_instance_is_over_changes_nothing()
    {
        await using var finished = await StartAsync();

        // A timeout of an instance that no longer exists (it completed, its timeout was already on its way).
        var late = _service.Envelope("test.brew.late", new BrewLate("dee"));
        late.Headers[TidingsHeaders.SagaName] = "brew";
        late.Headers[TidingsHeaders.SagaCorrelationId] = "dee";
        late.Headers[TidingsHeaders.SagaInstanceId] = Guid.CreateVersion7().ToString();
        late.Headers[TidingsHeaders.SagaTimeout] = "drink-late";
        late.Headers[TidingsHeaders.ScheduleId] = Guid.CreateVersion7().ToString();
        await _service.SendAsync("brewer", late);

        // Handled (its inbox entry committed), and quietly: no instance came back to life, nothing was dead-lettered.
        await Effects.WaitForAsync(() => _service.Count("tidings_inbox") == 1, TimeSpan.FromSeconds(15), () => "the late timeout was not handled");
        Assert.Equal(0, _service.Count("tidings_sagas"));
        Assert.Equal(0, _service.Count("tidings_schedules"));
    }

    [Fact]
    public async Task A_replaced_timeout_that_was_already_on_its_way_is_dropped_by_the_live_instance()
    {
        await using var finished = await StartAsync();
        await _service.SendAsync("brewer", "test.brew.started", new BrewStarted("fay"));
        await WaitForScheduledAsync(1);
        var instance = (await Inspector.GetAsync("brew", "fay", Ct))!.Summary.InstanceId;
        var first = Guid.Parse(_service.Text("SELECT id FROM tidings_schedules")!);

        // The first deadline fired (its message already sent, exactly as the relay sends it) just as the restart asked
        // for a new one: everything about it matches the instance but the deadline it now waits for.
        var stale = TimeoutFor("fay", instance, scheduleId: first);
        await _service.SendAsync("brewer", "test.brew.restarted", new BrewRestarted("fay"));
        await _service.SendAsync("brewer", stale);
        await _service.SendAsync("brewer", "test.brew.done", new BrewDone("fay"));

        // One worker, in order: the drink is ready, not overdue, so the stale deadline changed nothing.
        var done = Assert.Single(await finished.DrainAsync(1, TimeSpan.FromSeconds(15)));
        Assert.Equal(new BrewFinished("fay", "ready"), FakeClockService.Read<BrewFinished>(done));
        Assert.Equal(0, _service.Count("tidings_schedules"));
    }

    [Fact]
    public async Task Two_sagas_that_share_a_timeout_message_each_get_only_their_own()
    {
        await using var finished = await StartAsync(alsoKettle: true);
        await _service.SendAsync("brewer", "test.brew.started", new BrewStarted("gil"));
        await _service.SendAsync("brewer", "test.kettle.on", new KettleOn("gil"));
        await WaitForScheduledAsync(2);

        // The kettle's deadline (one minute) fires first; the brew saga, which takes the same message, ignores it.
        var (first, _) = await _service.AdvanceUntilReceivedAsync(finished, TimeSpan.FromSeconds(30));
        Assert.Equal(new BrewFinished("gil", "kettle boiled dry"), FakeClockService.Read<BrewFinished>(first));
        Assert.Equal(1, _service.Count("tidings_schedules"));

        var (second, _) = await _service.AdvanceUntilReceivedAsync(finished, TimeSpan.FromSeconds(30));
        Assert.Equal(new BrewFinished("gil", "overdue after 0 restarts"), FakeClockService.Read<BrewFinished>(second));
        Assert.Equal(0, _service.Count("tidings_sagas"));
    }

    [Fact]
    public async Task The_relay_is_woken_when_a_timeout_is_committed_not_at_its_next_look()
    {
        // The relay looks every ten minutes unless woken; the timeout is due in two.
        await using var finished = await StartAsync(pollInterval: TimeSpan.FromMinutes(10));
        await _service.SendAsync("brewer", "test.brew.started", new BrewStarted("eli"));
        await WaitForScheduledAsync(1);

        var (done, steps) = await _service.AdvanceUntilReceivedAsync(finished, TimeSpan.FromSeconds(30));
        Assert.InRange(steps, 4, 8); // due at 2 minutes; found at the 10-minute look would take 20 steps
        Assert.Equal("eli", FakeClockService.Read<BrewFinished>(done).Cup);
    }

    private ISagaInspector Inspector => _service.Services.GetRequiredService<ISagaInspector>();

    private async Task<IMessageReceiver> StartAsync(TimeSpan? pollInterval = null, bool alsoKettle = false)
    {
        await _service.StartAsync(t => t
            .Configure(o => o.SchedulePollInterval = pollInterval ?? o.SchedulePollInterval)
            .AddMessage<BrewFinished>()
            .AddEndpoint("brewer", e =>
            {
                e.Saga<BrewSaga>("brew");
                if (alsoKettle)
                {
                    e.Saga<KettleSaga>("kettle");
                }

                e.DeliveryMode = DeliveryMode.EffectivelyOnce;
                e.Concurrency = 1;
            }));
        return await _service.ListenAsync("finished", "test.brew.finished");
    }

    /// <summary>A timeout of the brew saga's instance, as the schedule relay sends it.</summary>
    private Envelope TimeoutFor(string cup, Guid instance, Guid scheduleId)
    {
        var timeout = _service.Envelope("test.brew.late", new BrewLate(cup));
        timeout.Headers[TidingsHeaders.SagaName] = "brew";
        timeout.Headers[TidingsHeaders.SagaCorrelationId] = cup;
        timeout.Headers[TidingsHeaders.SagaInstanceId] = instance.ToString();
        timeout.Headers[TidingsHeaders.SagaTimeout] = "drink-late";
        timeout.Headers[TidingsHeaders.ScheduleId] = scheduleId.ToString();
        return timeout;
    }

    private Task WaitForScheduledAsync(int count) =>
        Effects.WaitForAsync(() => _service.Count("tidings_schedules") == count, TimeSpan.FromSeconds(15), () => $"{_service.Count("tidings_schedules")} timeouts scheduled, not {count}");

    private Task<TimeSpan?> NextDueInAsync() => _service.Services.GetRequiredService<IScheduleStore>().NextDueInAsync(Ct);
}
