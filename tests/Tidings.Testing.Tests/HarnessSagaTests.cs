namespace Tidings.Testing.Tests;

/// <summary>The order saga end to end in one harness: a conversation of three services, three timeouts and a compensation, on the virtual clock.</summary>
public sealed class HarnessSagaTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<TidingsHarness> CafeAsync(bool withBarista) => TidingsHarness.StartAsync(h =>
    {
        h.AddService("counter", CafeServices.Counter).AddService("cashier", CafeServices.Cashier);
        if (withBarista)
        {
            h.AddService("barista", CafeServices.Barista);
        }
    }, Ct);

    [Fact]
    public async Task An_order_runs_through_counter_cashier_and_barista_in_one_call()
    {
        await using var harness = await CafeAsync(withBarista: true);

        var result = await harness.Service("counter").SendAsync("counter", new PlaceOrder("o-1", "flat white", 450), cancellationToken: Ct);

        Assert.Equal(new ChargeCard("o-1", 450), Assert.Single(result.Sent<ChargeCard>()));
        Assert.Equal(new CardCharged("o-1", 450), Assert.Single(result.Published<CardCharged>()));
        Assert.Equal(new MakeDrink("o-1", "flat white"), Assert.Single(result.Sent<MakeDrink>()));
        Assert.Single(result.Published<DrinkReady>());
        Assert.Equal(["saga order", "ChargeCardHandler", "saga order", "MakeDrinkHandler", "saga order"], result.Handled.Select(h => h.Handler));
        Assert.All(result.Handled, h => Assert.True(h.Succeeded));

        var order = await harness.Service("counter").SagaAsync<OrderState>("order", "o-1", Ct);
        Assert.NotNull(order);
        Assert.Equal(SagaStatus.Completed, order.Status);
        Assert.True(order.State.Paid);
        Assert.Equal(["o-1:charge:450"], await Ledger.ReadAsync(harness.Service("cashier").Services));
    }

    [Fact]
    public async Task Without_a_barista_the_saga_nudges_three_times_gives_up_and_refunds_once()
    {
        await using var harness = await CafeAsync(withBarista: false);
        var start = harness.Time.GetUtcNow();

        var placed = await harness.Service("counter").SendAsync("counter", new PlaceOrder("o-2", "cortado", 380), cancellationToken: Ct);
        Assert.Single(placed.Published<CardCharged>());
        Assert.Single(placed.Sent<MakeDrink>());
        var scheduled = placed.Messages.Where(m => m.Kind == HarnessMessageKind.Scheduled).ToList();
        Assert.Equal(["cafe.payment-late", "cafe.nudge-barista", "cafe.give-up"], scheduled.Select(m => m.MessageName));
        Assert.Equal(start + OrderSaga.GiveUpAfter, scheduled.Single(m => m.Message is GiveUp).DueAt);

        var order = await harness.Service("counter").SagaAsync<OrderState>("order", "o-2", Ct);
        Assert.Equal(SagaStatus.Active, order!.Status);
        Assert.Equal(["give-up", "nudge"], order.Details.PendingTimeouts.Order());

        var later = await harness.AdvanceAsync(TimeSpan.FromMinutes(15), Ct);

        order = await harness.Service("counter").SagaAsync<OrderState>("order", "o-2", Ct);
        Assert.Equal(SagaStatus.Compensated, order!.Status);
        Assert.Equal([start + TimeSpan.FromMinutes(3), start + TimeSpan.FromMinutes(6), start + TimeSpan.FromMinutes(9)], order.State.Nudges);
        Assert.Equal(start + OrderSaga.GiveUpAfter, order.State.GaveUpAt);
        Assert.Equal(3, later.Sent<MakeDrink>().Count);
        Assert.Equal(new RefundCard("o-2", 380), Assert.Single(later.Sent<RefundCard>()));
        Assert.Single(later.HandledBy<RefundCardHandler>());
        Assert.Equal(start + TimeSpan.FromMinutes(15), harness.Time.GetUtcNow());
        Assert.Equal(["o-2:charge:380", "o-2:refund:380"], await Ledger.ReadAsync(harness.Service("cashier").Services));

        // The payment deadline was cancelled when the card was charged: it never fired.
        Assert.DoesNotContain(later.Handled, h => h.MessageName == "cafe.payment-late");
    }
}
