using Microsoft.Extensions.DependencyInjection;

namespace Tidings.Testing.Tests;

[MessageName("cafe.price-asked")]
public sealed record PriceAsked(string Drink);

[MessageName("cafe.price")]
public sealed record Price(string Drink, int Cents);

public sealed class PriceHandler : IHandleMessages<PriceAsked>
{
    public Task HandleAsync(PriceAsked message, IMessageContext context, CancellationToken cancellationToken) =>
        context.ReplyAsync(new Price(message.Drink, 350), cancellationToken: cancellationToken).AsTask();
}

/// <summary>The harness's calls beyond a plain send: sessions, requests, recovered and expected failures, and one call's failure not leaking into the next.</summary>
public sealed class HarnessCallTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_order_placed_in_a_session_goes_out_through_the_outbox_and_starts_the_saga()
    {
        await using var harness = await TidingsHarness.StartAsync(CafeServices.Counter, cancellationToken: Ct);

        var result = await harness.RunAsync(async (services, ct) =>
        {
            await using var session = await services.GetRequiredService<ITransactionalSessionFactory>().BeginAsync(ct);
            await session.SendAsync("counter", new PlaceOrder("o-10", "americano", 300), cancellationToken: ct);
            await session.CommitAsync(ct);
        }, Ct);

        Assert.Single(result.Sent<PlaceOrder>());
        Assert.Equal(new ChargeCard("o-10", 300), Assert.Single(result.Sent<ChargeCard>()));
        Assert.Equal(SagaStatus.Active, (await harness.SagaAsync<OrderState>("order", "o-10", Ct))!.Status);
    }

    [Fact]
    public async Task A_request_returns_its_reply_and_the_call_lists_it_as_replied()
    {
        await using var harness = await TidingsHarness.StartAsync(t => t.AddEndpoint("prices", e => e.Handle<PriceAsked, PriceHandler>()), cancellationToken: Ct);
        Price? price = null;

        var result = await harness.RunAsync(async (services, ct) =>
            price = await services.GetRequiredService<IBus>().RequestAsync<PriceAsked, Price>("prices", new PriceAsked("cortado"), cancellationToken: ct), Ct);

        Assert.Equal(new Price("cortado", 350), price);
        Assert.Equal(new Price("cortado", 350), Assert.Single(result.Replied<Price>()));
        Assert.Single(result.HandledBy<PriceHandler>());
    }

    [Fact]
    public async Task A_failure_an_immediate_retry_recovers_is_reported_and_not_thrown()
    {
        var flaky = new FlakyOnce();
        await using var harness = await TidingsHarness.StartAsync(
            t => t.AddEndpoint("flaky", e =>
            {
                e.DeliveryMode = DeliveryMode.EffectivelyOnce;
                e.Retries = new RetryPolicy { ImmediateRetries = 1, DelayedRedeliveries = 0 };
                e.Handle<MakeDrink, FlakyOnceHandler>();
            }),
            services => services.AddSingleton(flaky),
            Ct);

        var result = await harness.SendAsync("flaky", new MakeDrink("o-11", "flat white"), cancellationToken: Ct);

        // The failed run was the first attempt (no extra run of it), the retry the second.
        Assert.Equal([false, true], result.HandledBy<FlakyOnceHandler>().Select(h => h.Succeeded));
        Assert.Equal(2, flaky.Attempts.Count);
        Assert.Empty(result.Failures);
        Assert.Single(result.Published<DrinkReady>());
    }

    [Fact]
    public async Task A_dead_letter_no_handler_saw_is_expected_by_its_reason()
    {
        await using var harness = await CashierAsync();
        harness.ExpectFailures(f => f.Reason == "no-handler");

        var result = await harness.SendAsync("cashier", new MakeDrink("o-12", "tea"), cancellationToken: Ct);

        var dead = Assert.Single(result.DeadLettered);
        Assert.Equal(("cafe.make-drink", "no-handler"), (dead.MessageName, dead.Reason));
        Assert.Contains("has no handler or saga for 'cafe.make-drink'", dead.Exception!.Message, StringComparison.Ordinal);
        Assert.Empty(result.Handled);
    }

    [Fact]
    public async Task A_failed_call_leaves_nothing_behind_for_the_next_one()
    {
        await using var harness = await CashierAsync();
        await Assert.ThrowsAsync<HarnessFailureException>(() => harness.SendAsync("cashier", new ChargeCard("o-13", 0), cancellationToken: Ct));

        var next = await harness.SendAsync("cashier", new ChargeCard("o-14", 200), cancellationToken: Ct);

        Assert.Empty(next.Failures);
        Assert.Equal(["o-14"], next.Published<CardCharged>().Select(c => c.OrderId));
        Assert.DoesNotContain(next.Messages, m => m.Message is ChargeCard { OrderId: "o-13" });
    }

    private static Task<TidingsHarness> CashierAsync() => TidingsHarness.StartAsync(CafeServices.Cashier, cancellationToken: Ct);
}
