using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tidings.Stores;
using Xunit;

namespace Tidings.Transport.Contracts;

/// <summary>
/// What a saga promises on every store, end to end: each instance's state commits with the inbox entry and the messages
/// it sends, whatever order its messages come in, however many come at once. "Nothing else happened" is proved with a
/// marker behind the message under test on the same ordered path (one worker), never by waiting a while.
/// </summary>
public abstract class SagaContract<TFixture> : IAsyncLifetime
    where TFixture : IEffectivelyOnceFixture, new()
{
    private const string SagaName = "contract-cup";
    private readonly string _counter = "counter-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _downstream = "announced-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _undo = "undo-" + Guid.NewGuid().ToString("N")[..8];
    private readonly List<IHost> _hosts = [];
    private ITransport? _transport;

    protected TFixture Fixture { get; } = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static TimeSpan Patience => TimeSpan.FromSeconds(20);

    private ITransport Transport => _transport ??= Fixture.Connect();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.StopAsync(CancellationToken.None);
            host.Dispose();
        }

        if (_transport is not null)
        {
            await _transport.DisposeAsync();
        }

        await Fixture.DeleteQueuesAsync(_counter, _downstream, _undo);
        await Fixture.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task An_order_placed_paid_and_made_completes_once_and_leaves_no_instance()
    {
        await using var announced = await ListenAsync();
        await StartCounterAsync();

        await SendAsync(Message("order-placed", new CupOrdered("ada", "flat white")));
        await SendAsync(Message("payment-accepted", new CupPaid("ada", 450)));
        await SendAsync(Message("drink-ready", new CupReady("ada")));

        var completed = Completed(Assert.Single(await announced.DrainAsync(1, Patience)));
        Assert.Equal(new CupCompleted("ada", "flat white", 450, "ordered,paid,ready", 0), completed);
        await Effects.WaitForAsync(async () => await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Fixture.Tables.Sagas}") == 0, Patience, () => "the completed instance is still stored");
        Assert.Equal(3, await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Fixture.Tables.Inbox}"));
    }

    [Fact]
    public async Task Messages_in_another_order_and_twice_give_the_same_outcome()
    {
        await using var announced = await ListenAsync();
        await StartCounterAsync();
        var paid = Message("payment-accepted", new CupPaid("bo", 300));

        // Made first (it starts the instance too), paid twice (the same message id), placed last.
        await SendAsync(Message("drink-ready", new CupReady("bo")));
        await SendAsync(paid, paid);
        await SendAsync(Message("order-placed", new CupOrdered("bo", "espresso")));

        var completed = Completed(Assert.Single(await announced.DrainAsync(1, Patience)));
        Assert.Equal(new CupCompleted("bo", "espresso", 300, "ready,paid,ordered", 0), completed);
    }

    [Fact]
    public async Task Messages_for_one_instance_in_one_batch_each_see_what_the_one_before_did()
    {
        await using var announced = await ListenAsync();

        // Queued before the endpoint starts, so that they come in one batch (where the transport hands them out so):
        // the forgotten order is ignored unless it sees the instance its starter made just before it, in the same batch.
        // Nothing in that batch fails, so no careful second pass could cover for it.
        await Transport.DeclareAsync(new QueueDeclaration(_counter, []), Ct);
        await SendAsync(Message("order-placed", new CupOrdered("ida", "flat white")), Message("order-forgotten", new CupForgotten("ida")));
        await StartCounterAsync();
        await Effects.WaitForAsync(async () => await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Fixture.Tables.Sagas}") == 1, Patience,
            () => "the order was not stored");
        await SendAsync(Message("payment-accepted", new CupPaid("ida", 320)), Message("drink-ready", new CupReady("ida")));

        var completed = Completed(Assert.Single(await announced.DrainAsync(1, Patience)));
        Assert.Equal(new CupCompleted("ida", "flat white", 320, "ordered,forgotten,paid,ready", 0), completed);
        Assert.Equal(0, await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Fixture.Tables.Sagas}"));
    }

    [Fact]
    public async Task A_follow_up_that_comes_before_its_starter_is_retried_until_the_instance_exists()
    {
        await using var announced = await ListenAsync();
        await StartCounterAsync(concurrency: 4, prefetch: 1);

        // Paid before it was ordered (the starter in flight elsewhere, or behind it): no instance yet, so it waits its turn.
        await SendAsync(Message("payment-accepted", new CupPaid("gus", 275)));
        await SendAsync(Message("order-placed", new CupOrdered("gus", "cappuccino")), Message("drink-ready", new CupReady("gus")));

        var completed = Completed(Assert.Single(await announced.DrainAsync(1, Patience)));
        Assert.Equal(("gus", "cappuccino", 275), (completed.Cup, completed.Drink, completed.Cents));
    }

    [Fact]
    public async Task A_message_for_no_instance_is_dead_lettered_with_its_reason_and_leaves_no_inbox_entry()
    {
        await using var announced = await ListenAsync();
        await StartCounterAsync();

        await SendAsync(Message("payment-accepted", new CupPaid("nobody", 100)));

        var dead = await DeadLetterAsync();
        Assert.Equal("saga-not-found", dead.Envelope.Headers[TidingsHeaders.DeadLetterReason]);
        Assert.Contains("nobody", dead.Envelope.Headers[TidingsHeaders.ExceptionMessage], StringComparison.Ordinal);
        Assert.Equal(0, await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Fixture.Tables.Inbox}"));
        Assert.Equal(0, await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Fixture.Tables.Sagas}"));
    }

    [Fact]
    public async Task A_message_whose_policy_ignores_a_missing_instance_is_dropped_and_starts_nothing()
    {
        await using var announced = await ListenAsync();
        await StartCounterAsync();

        await SendAsync(Message("order-forgotten", new CupForgotten("ghost")));

        // One worker, in order: once this order completes, the forgotten one was handled before it.
        await SendAsync(Message("order-placed", new CupOrdered("cy", "latte")), Message("payment-accepted", new CupPaid("cy", 1)), Message("drink-ready", new CupReady("cy")));
        Assert.Equal("cy", Completed(Assert.Single(await announced.DrainAsync(1, Patience))).Cup);

        // Handled, not dead-lettered: a dead letter's unit of work is undone and leaves no inbox entry.
        Assert.Equal(4, await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Fixture.Tables.Inbox}"));
        Assert.Equal(0, await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Fixture.Tables.Sagas}"));
    }

    [Fact]
    public async Task Concurrent_messages_for_one_instance_lose_no_update_and_create_one_instance()
    {
        // Every tick may start the instance, and they come at once to four workers taking one message each: the ones that
        // race to start it must end in one instance, and the ones that race to change it must each count.
        const int Ticks = 24;
        await using var announced = await ListenAsync();
        await Transport.DeclareAsync(new QueueDeclaration(_counter, ["contract.saga.tick"]), Ct);
        await SendAsync(Enumerable.Range(0, Ticks).Select(_ => Message("tick", new CupTick("dee", Ticks))).ToArray());
        await StartCounterAsync(concurrency: 4, prefetch: 1);

        var completed = Completed(Assert.Single(await announced.DrainAsync(1, Patience * 2)));
        Assert.Equal(Ticks, completed.Ticks);
        Assert.Equal(Ticks, await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Fixture.Tables.Inbox}"));
    }

    [Fact]
    public async Task Two_instances_of_the_service_starting_one_saga_at_once_make_one_instance()
    {
        // Two processes of one service on one database (two hosts here), each with two workers taking one message at a time.
        const int Ticks = 24;
        await using var announced = await ListenAsync();
        await Transport.DeclareAsync(new QueueDeclaration(_counter, ["contract.saga.tick"]), Ct);
        await SendAsync(Enumerable.Range(0, Ticks).Select(_ => Message("tick", new CupTick("zed", Ticks))).ToArray());
        await Task.WhenAll(StartCounterAsync(concurrency: 2, prefetch: 1), StartCounterAsync(concurrency: 2, prefetch: 1));

        // Both instances' outbox relays may send the one announcement (the same message id: consumers take it once); two
        // completions would be two ids.
        var announcements = await announced.DrainAsync(1, Patience * 2);
        var completed = Completed(Assert.Single(announcements.DistinctBy(m => m.Envelope.MessageId)));
        Assert.Equal(Ticks, completed.Ticks);
        Assert.Equal(Ticks, await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Fixture.Tables.Inbox}"));
        Assert.Equal(0, await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Fixture.Tables.Sagas}"));
    }

    [Fact]
    public async Task An_instance_stored_by_an_older_state_class_is_read_and_goes_on()
    {
        // Stored before CupState had Cents, Ready and Ticks, and with a property it no longer has.
        await StartCounterAsync();
        var services = _hosts[0].Services;
        await using (var transaction = await services.GetRequiredService<ITransactionalStore>().BeginAsync(Ct))
        {
            const string older = """
                {"instanceId":"0190d7a4-0000-7000-8000-000000000001","status":"active","startedAt":"2026-11-30T08:00:00+00:00",
                 "updatedAt":"2026-11-30T08:00:00+00:00","state":{"drink":"mocha","steps":["ordered"],"loyaltyCard":"gold"},"history":[]}
                """;
            await services.GetRequiredService<ISagaStore>().InsertAsync(transaction, SagaName, "eve", older, Ct);
            await transaction.CommitAsync(Ct);
        }

        await using var announced = await ListenAsync();
        await SendAsync(Message("payment-accepted", new CupPaid("eve", 520)), Message("drink-ready", new CupReady("eve")));

        var completed = Completed(Assert.Single(await announced.DrainAsync(1, Patience)));
        Assert.Equal(new CupCompleted("eve", "mocha", 520, "ordered,paid,ready", 0), completed);
    }

    [Fact]
    public async Task A_kept_completed_instance_is_over_for_later_messages()
    {
        await using var announced = await ListenAsync();
        await StartCounterAsync(keepCompleted: true);

        await SendAsync(Message("order-placed", new CupOrdered("fay", "cortado")), Message("payment-accepted", new CupPaid("fay", 380)), Message("drink-ready", new CupReady("fay")));
        Assert.Equal("fay", Completed(Assert.Single(await announced.DrainAsync(1, Patience))).Cup);
        await SendAsync(Message("payment-accepted", new CupPaid("fay", 1)));

        // Final, so no retry can help: dead-lettered at once, with a reason that says so.
        var late = await DeadLetterAsync();
        Assert.Equal("saga-completed", late.Envelope.Headers[TidingsHeaders.DeadLetterReason]);
        Assert.Equal("1", late.Envelope.Headers[TidingsHeaders.Attempts]);
        Assert.Equal(1, await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Fixture.Tables.Sagas}"));
    }

    [Fact]
    public async Task A_kept_completed_instance_that_records_late_messages_notes_them_and_stays_completed()
    {
        await using var announced = await ListenAsync();
        await StartCounterAsync(keepCompleted: true, late: SagaLateMessages.Record);
        var inspector = _hosts[0].Services.GetRequiredService<ISagaInspector>();

        await SendAsync(Message("order-placed", new CupOrdered("uma", "cortado")), Message("payment-accepted", new CupPaid("uma", 380)), Message("drink-ready", new CupReady("uma")));
        Assert.Equal("uma", Completed(Assert.Single(await announced.DrainAsync(1, Patience))).Cup);
        var lateDrink = Message("drink-ready", new CupReady("uma"));
        await SendAsync(lateDrink);

        // Recorded in the same unit of work as its acknowledgement: once it shows, the message is done with.
        await Effects.WaitForAsync(async () => (await inspector.GetAsync(SagaName, "uma", Ct))!.History[^1].Kind == "late", Patience,
            () => "the late message was not recorded");
        var uma = (await inspector.GetAsync(SagaName, "uma", Ct))!;
        Assert.Equal(SagaStatus.Completed, uma.Summary.Status);
        Assert.Equal(lateDrink.MessageId, uma.History[^1].MessageId);
        Assert.Equal(["started", "handled", "handled", "completed", "late"], uma.History.Select(h => h.Kind));
        Assert.Equal("cortado", uma.State.GetProperty("drink").GetString());
    }

    [Fact]
    public async Task A_failure_after_two_steps_compensates_both_latest_first_once_each()
    {
        await using var undone = await ListenAsync(_undo);
        await StartCounterAsync();

        await SendAsync(Message("hotel-booked", new HotelBooked("rome", _undo)), Message("flight-booked", new FlightBooked("rome", _undo)));
        await SendAsync(Message("car-declined", new CarDeclined("rome")));

        // Declined again (another message): what ran does not run again. The pong, sent after, shows nothing else was.
        await SendAsync(Message("car-declined", new CarDeclined("rome")));
        await SendAsync(Message("trip-ping", new TripPing("rome", _undo)));

        var received = await undone.DrainAsync(3, Patience);
        Assert.Equal(["contract.saga.cancel-flight", "contract.saga.cancel-hotel", "contract.saga.trip-pong"], received.Select(m => m.Envelope.MessageName));
        Assert.Equal(new TripPong("rome", 2), JsonSerializer.Deserialize<TripPong>(received[2].Envelope.Body.Span, JsonSerializerOptions.Web));

        // The stored instance shows which ran, and why.
        var services = _hosts[0].Services;
        await using var transaction = await services.GetRequiredService<ITransactionalStore>().BeginAsync(Ct);
        var stored = await services.GetRequiredService<ISagaStore>().FindAsync(transaction, "contract-trip", "rome", Ct);
        var document = JsonDocument.Parse(stored!.Data).RootElement;
        Assert.Equal("compensated", document.GetProperty("status").GetString());
        var compensations = document.GetProperty("compensations").EnumerateArray().ToList();
        Assert.Equal(["hotel", "flight"], compensations.Select(c => c.GetProperty("step").GetString()));
        Assert.All(compensations, c =>
        {
            Assert.Equal(JsonValueKind.String, c.GetProperty("sentAt").ValueKind);
            Assert.Equal("car declined", c.GetProperty("reason").GetString());
        });
    }

    [Fact]
    public async Task Instances_are_listed_by_status_a_page_at_a_time_and_read_with_their_history()
    {
        await using var announced = await ListenAsync();
        await StartCounterAsync(keepCompleted: true);
        var inspector = _hosts[0].Services.GetRequiredService<ISagaInspector>();

        await SendAsync(Message("order-placed", new CupOrdered("hal", "americano")), Message("payment-accepted", new CupPaid("hal", 300)), Message("drink-ready", new CupReady("hal")));
        await SendAsync(Message("order-placed", new CupOrdered("ivy", "tea")), Message("drink-ready", new CupReady("jo")));
        Assert.Equal("hal", Completed(Assert.Single(await announced.DrainAsync(1, Patience))).Cup);
        await Effects.WaitForAsync(async () => (await inspector.ListAsync(SagaName, SagaStatus.Active, cancellationToken: Ct)).Instances.Count == 2, Patience,
            () => "the active instances were not stored");

        Assert.Equal(["ivy", "jo"], (await inspector.ListAsync(SagaName, SagaStatus.Active, cancellationToken: Ct)).Instances.Select(i => i.CorrelationId));
        Assert.Equal(["hal"], (await inspector.ListAsync(SagaName, SagaStatus.Completed, cancellationToken: Ct)).Instances.Select(i => i.CorrelationId));
        var first = await inspector.ListAsync(SagaName, limit: 2, cancellationToken: Ct);
        Assert.Equal(["hal", "ivy"], first.Instances.Select(i => i.CorrelationId));
        var second = await inspector.ListAsync(SagaName, after: first.Next, limit: 2, cancellationToken: Ct);
        Assert.Equal(["jo"], second.Instances.Select(i => i.CorrelationId));
        Assert.Null(second.Next);

        var hal = (await inspector.GetAsync(SagaName, "hal", Ct))!;
        Assert.Equal(SagaStatus.Completed, hal.Summary.Status);
        Assert.Equal("americano", hal.State.GetProperty("drink").GetString());
        Assert.Equal(["started", "handled", "handled", "completed"], hal.History.Select(h => h.Kind));
        Assert.Equal(["contract.saga.order-placed", "contract.saga.payment-accepted", "contract.saga.drink-ready", "contract.saga.drink-ready"],
            hal.History.Select(h => h.MessageName));
        Assert.Null(await inspector.GetAsync(SagaName, "nobody", Ct));
    }

    [Fact]
    public async Task Kept_completed_instances_are_removed_after_their_retention_and_active_ones_stay()
    {
        await using var announced = await ListenAsync();
        await StartCounterAsync(keepCompleted: true, retention: TimeSpan.FromMilliseconds(300));

        await SendAsync(Message("order-placed", new CupOrdered("lee", "mocha")));
        await SendAsync(Message("order-placed", new CupOrdered("kim", "latte")), Message("payment-accepted", new CupPaid("kim", 1)), Message("drink-ready", new CupReady("kim")));
        Assert.Equal("kim", Completed(Assert.Single(await announced.DrainAsync(1, Patience))).Cup);

        await Effects.WaitForAsync(async () => await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Fixture.Tables.Sagas} WHERE correlation_id = 'kim'") == 0, Patience,
            () => "the completed instance outlived its retention");
        Assert.Equal(1, await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Fixture.Tables.Sagas} WHERE correlation_id = 'lee'"));
    }

    private async Task StartCounterAsync(int concurrency = 1, int prefetch = 32, bool keepCompleted = false, TimeSpan? retention = null,
        SagaLateMessages late = SagaLateMessages.DeadLetter)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddTidings(t =>
        {
            Fixture.UseTransport(t);
            Fixture.UseStore(t);
            t.AddMessage<CupCompleted>().AddMessage<CancelHotel>().AddMessage<CancelFlight>().AddMessage<TripPong>();
            t.Configure(o =>
            {
                o.ShutdownTimeout = TimeSpan.FromSeconds(5);
                o.InboxCleanupInterval = retention is null ? o.InboxCleanupInterval : TimeSpan.FromMilliseconds(100);
            });
            t.AddEndpoint(_counter, e =>
            {
                e.Saga<CupSaga>(SagaName, s =>
                {
                    s.KeepCompleted = keepCompleted;
                    s.LateMessages = late;
                    s.CompletedRetention = retention ?? s.CompletedRetention;
                });
                e.Saga<TripSaga>("contract-trip");
                e.DeliveryMode = DeliveryMode.EffectivelyOnce;
                e.Retries = new RetryPolicy { ImmediateRetries = 5, DelayedRedeliveries = 3, BaseDelay = TimeSpan.FromMilliseconds(100) };
                e.Concurrency = concurrency;
                e.Prefetch = prefetch;
            });
        });
        var host = builder.Build();
        _hosts.Add(host);
        await host.StartAsync(Ct);

        // The store makes its tables at its first transaction: before a test reads them.
        await using var migrated = await host.Services.GetRequiredService<ITransactionalStore>().BeginAsync(Ct);
    }

    private Task<IMessageReceiver> ListenAsync() => ListenAsync(_downstream, "contract.saga.order-completed");

    private async Task<IMessageReceiver> ListenAsync(string queue, params string[] topics)
    {
        await Transport.DeclareAsync(new QueueDeclaration(queue, topics), Ct);
        return Transport.CreateReceiver(queue, new ReceiverSettings(TimeSpan.FromSeconds(30)));
    }

    private Task<DeadLetters.DeadLetter> DeadLetterAsync() => TabService.DeadLetterWait.SingleAsync(_hosts[0].Services, _counter, Patience);

    private Task SendAsync(params Envelope[] envelopes) =>
        Transport.SendAsync(envelopes.Select(e => new OutgoingMessage(Destination.Queue(_counter), e)).ToList(), Ct);

    private static Envelope Message<T>(string name, T message) => new()
    {
        MessageId = Envelope.NewMessageId(),
        MessageName = "contract.saga." + name,
        SentAt = DateTimeOffset.UtcNow,
        Body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(message, JsonSerializerOptions.Web)),
    };

    private static CupCompleted Completed(ReceivedMessage message) =>
        JsonSerializer.Deserialize<CupCompleted>(message.Envelope.Body.Span, JsonSerializerOptions.Web)!;
}
