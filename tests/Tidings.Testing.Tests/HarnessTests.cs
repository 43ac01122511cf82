using Microsoft.Extensions.DependencyInjection;

namespace Tidings.Testing.Tests;

/// <summary>The harness on one service: what a call returns, failures, duplicates, time, and the limits of a call.</summary>
public sealed class HarnessTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<TidingsHarness> CashierAsync() => TidingsHarness.StartAsync(CafeServices.Cashier, cancellationToken: Ct);

    [Fact]
    public async Task A_send_returns_once_the_handler_ran_with_what_it_published_and_sent_on_to_services_not_under_test()
    {
        await using var harness = await TidingsHarness.StartAsync(CafeServices.Counter, cancellationToken: Ct);

        var result = await harness.SendAsync("counter", new PlaceOrder("o-1", "latte", 420), cancellationToken: Ct);

        // The cashier is not in the harness: the message waits in its queue, and the call still returns.
        Assert.Equal(new PlaceOrder("o-1", "latte", 420), Assert.Single(result.Sent<PlaceOrder>()));
        var charge = Assert.Single(result.Messages, m => m.Destination == "cashier");
        Assert.Equal(HarnessMessageKind.Sent, charge.Kind);
        Assert.Equal(new ChargeCard("o-1", 420), charge.Message);
        Assert.Equal("saga order", Assert.Single(result.Handled).Handler);
        Assert.Equal(1, harness.Transport.Count("cashier"));
    }

    [Fact]
    public async Task A_handlers_exception_fails_the_call_with_its_stack()
    {
        await using var harness = await CashierAsync();

        var failure = await Assert.ThrowsAsync<HarnessFailureException>(() => harness.SendAsync("cashier", new ChargeCard("o-3", 0), cancellationToken: Ct));

        var refused = Assert.IsType<CardRefusedException>(failure.InnerException);
        Assert.Contains(nameof(ChargeCardHandler), refused.StackTrace, StringComparison.Ordinal);
        Assert.Contains("dead-lettered (handler-failed)", failure.Message, StringComparison.Ordinal);
        Assert.Contains("ExpectFailures", failure.Message, StringComparison.Ordinal);
        Assert.True(Assert.Single(failure.Unexpected).DeadLettered);
    }

    [Fact]
    public async Task An_expected_failure_is_reported_not_thrown_and_its_unit_of_work_is_rolled_back()
    {
        await using var harness = await CashierAsync();
        harness.ExpectFailures<CardRefusedException>();

        var result = await harness.SendAsync("cashier", new ChargeCard("o-4", 0), cancellationToken: Ct);

        var dead = Assert.Single(result.DeadLettered);
        Assert.Equal("cafe.charge-card", dead.MessageName);
        Assert.IsType<CardRefusedException>(dead.Exception);
        Assert.False(Assert.Single(result.HandledBy<ChargeCardHandler>()).Succeeded);
        Assert.Empty(result.Published<CardCharged>());

        // The ledger line the handler wrote before it threw went with the transaction.
        Assert.Empty(await Ledger.ReadAsync(harness.ServiceProvider));
    }

    [Fact]
    public async Task A_duplicate_of_a_message_is_handled_once_on_an_effectively_once_endpoint()
    {
        await using var harness = await CashierAsync();
        var options = new SendOptions { MessageId = Guid.CreateVersion7() };

        var first = await harness.SendAsync("cashier", new ChargeCard("o-5", 300), new SendOptions { MessageId = options.MessageId }, Ct);
        var again = await harness.SendAsync("cashier", new ChargeCard("o-5", 300), new SendOptions { MessageId = options.MessageId }, Ct);

        Assert.Single(first.Published<CardCharged>());
        Assert.Empty(again.Handled);
        Assert.Empty(again.Published<CardCharged>());
        Assert.Equal(["o-5:charge:300"], await Ledger.ReadAsync(harness.ServiceProvider));
    }

    [Fact]
    public async Task A_redelivery_waits_on_the_virtual_clock_and_advancing_it_delivers_the_message_at_its_time()
    {
        var flaky = new FlakyOnce();
        await using var harness = await TidingsHarness.StartAsync(
            t => t.AddEndpoint("flaky", e =>
            {
                e.Retries = new RetryPolicy { ImmediateRetries = 0, DelayedRedeliveries = 1, BaseDelay = TimeSpan.FromSeconds(30), Jitter = 0 };
                e.Handle<MakeDrink, FlakyOnceHandler>();
            }),
            services => services.AddSingleton(flaky),
            Ct);
        harness.ExpectFailures<TimeoutException>();
        var start = harness.Time.GetUtcNow();

        var first = await harness.SendAsync("flaky", new MakeDrink("o-6", "mocha"), cancellationToken: Ct);
        var waiting = Assert.Single(first.Failures);
        Assert.False(waiting.DeadLettered);
        Assert.IsType<TimeoutException>(waiting.Exception);

        var early = await harness.AdvanceAsync(TimeSpan.FromSeconds(29), Ct);
        Assert.Empty(early.Handled);

        var later = await harness.AdvanceAsync(TimeSpan.FromMinutes(1), Ct);
        Assert.True(Assert.Single(later.Handled).Succeeded);
        Assert.Equal([start, start + TimeSpan.FromSeconds(30)], flaky.Attempts);
        Assert.Single(later.Published<DrinkReady>());
    }

    [Fact]
    public async Task A_message_loop_fails_the_call_after_the_message_budget()
    {
        await using var harness = await TidingsHarness.StartAsync(h =>
        {
            h.Options.MessageBudget = 50;
            h.AddService("echo", t => t.AddEndpoint("echo", e => e.Handle<DrinkReady, EchoHandler>()));
        }, Ct);

        var loop = await Assert.ThrowsAsync<InvalidOperationException>(() => harness.SendAsync("echo", new DrinkReady("o-7"), cancellationToken: Ct));

        Assert.Contains("more than 50 messages", loop.Message, StringComparison.Ordinal);
        Assert.Contains("message loop", loop.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_registration_that_brings_its_own_transport_is_refused_with_what_to_do()
    {
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            TidingsHarness.StartAsync(t => CafeServices.Cashier(t.UseInMemoryTransport()), cancellationToken: Ct));

        Assert.Contains("which the harness supplies", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Program.cs", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Several_services_need_a_name_to_send_from()
    {
        await using var harness = await TidingsHarness.StartAsync(h => h.AddService("counter", CafeServices.Counter).AddService("cashier", CafeServices.Cashier), Ct);

        var unclear = await Assert.ThrowsAsync<InvalidOperationException>(() => harness.SendAsync("cashier", new ChargeCard("o-8", 1), cancellationToken: Ct));

        Assert.Contains("harness.Service(\"counter\")", unclear.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => harness.Service("barista"));
    }
}

/// <summary>Fails its first attempt, and records when each attempt came.</summary>
public sealed class FlakyOnce
{
    public List<DateTimeOffset> Attempts { get; } = [];
}

public sealed class FlakyOnceHandler(FlakyOnce flaky, TimeProvider time) : IHandleMessages<MakeDrink>
{
    public async Task HandleAsync(MakeDrink message, IMessageContext context, CancellationToken cancellationToken)
    {
        lock (flaky)
        {
            flaky.Attempts.Add(time.GetUtcNow());
            if (flaky.Attempts.Count == 1)
            {
                throw new TimeoutException("The milk steamer timed out.");
            }
        }

        await context.PublishAsync(new DrinkReady(message.OrderId), cancellationToken: cancellationToken);
    }
}

/// <summary>Sends every message back to its own queue: a system that never quiesces.</summary>
public sealed class EchoHandler : IHandleMessages<DrinkReady>
{
    public Task HandleAsync(DrinkReady message, IMessageContext context, CancellationToken cancellationToken) =>
        context.SendAsync("echo", message, cancellationToken: cancellationToken).AsTask();
}
