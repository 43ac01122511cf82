using CoffeeShop.Contracts;
using CoffeeShop.Counter.Orders;
using Microsoft.Extensions.DependencyInjection;
using Tidings;
using Tidings.Testing;

namespace CoffeeShop.Harness.Tests;

/// <summary>
/// The counter's order saga on its own registration (<see cref="CounterSetup.AddCounterMessaging"/>), with the test as
/// cashier and barista: each of the essay's outcomes, the barista's deadline on the virtual clock. The same outcomes
/// through real processes and HTTP are in CoffeeShop.Tests (OrderSagaTests).
/// </summary>
public sealed class CounterSagaTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private TidingsHarness? _harness;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private TidingsHarness Harness => _harness!;

    public async ValueTask InitializeAsync() => _harness = await TidingsHarness.StartAsync(
        t => t.AddCounterMessaging(), services => services.AddSingleton(new CounterOptions(Deadline)), Ct);

    public async ValueTask DisposeAsync()
    {
        if (_harness is not null)
        {
            await _harness.DisposeAsync();
        }
    }

    private async Task<string> PlaceAsync(string customer)
    {
        var id = Guid.CreateVersion7().ToString();
        var placed = await Harness.PublishAsync(new OrderPlaced(id, customer, [new DrinkLine("latte", "medium")], 450, "tok_visa"), cancellationToken: Ct);
        Assert.Equal("saga order", Assert.Single(placed.Handled).Handler);
        Assert.Equal(Harness.Time.GetUtcNow() + Deadline, Assert.Single(placed.Messages, m => m.Kind == HarnessMessageKind.Scheduled).DueAt);
        return id;
    }

    private async Task<SagaSnapshot<OrderState>> OrderAsync(string id) =>
        await Harness.SagaAsync<OrderState>(OrderSaga.Name, id, Ct) ?? throw new InvalidOperationException($"No order {id}.");

    [Fact]
    public async Task A_paid_and_made_order_is_served()
    {
        var id = await PlaceAsync("Ada");
        await Harness.PublishAsync(new DrinkReady(id, "barista-1"), cancellationToken: Ct);

        var paid = await Harness.PublishAsync(new PaymentAccepted(id, "pay-1", 450), cancellationToken: Ct);

        Assert.Equal(new OrderCompleted(id, "Ada", 450), Assert.Single(paid.Published<OrderCompleted>()));
        var order = await OrderAsync(id);
        Assert.Equal((SagaStatus.Completed, "served", "barista-1"), (order.Status, order.State.Stage, order.State.Barista));
        Assert.Empty(order.Details.PendingTimeouts);
    }

    [Fact]
    public async Task A_declined_card_writes_the_drink_off_and_cancels_the_order()
    {
        var id = await PlaceAsync("Bob");

        var declined = await Harness.PublishAsync(new PaymentDeclined(id, "insufficient funds"), cancellationToken: Ct);

        Assert.Equal(new WriteOffDrink(id), Assert.Single(declined.Sent<WriteOffDrink>()));
        Assert.Equal("barista", Assert.Single(declined.Messages, m => m.Message is WriteOffDrink).Destination);
        Assert.Equal(new OrderCancelled(id, "payment-declined"), Assert.Single(declined.Published<OrderCancelled>()));
        Assert.Equal("written-off", (await OrderAsync(id)).State.Stage);

        // A drink ready after the write-off is recorded, not a failure (the call would throw if it failed).
        var late = await Harness.PublishAsync(new DrinkReady(id, "barista-1"), cancellationToken: Ct);
        Assert.Empty(late.Published<OrderCancelled>());
    }

    [Fact]
    public async Task A_failed_drink_after_payment_refunds_the_card_once()
    {
        var id = await PlaceAsync("Cy");
        await Harness.PublishAsync(new PaymentAccepted(id, "pay-3", 450), cancellationToken: Ct);

        var failed = await Harness.PublishAsync(new DrinkFailed(id, "barista-2", "milk ran out"), cancellationToken: Ct);

        Assert.Equal(new RefundPayment(id, "pay-3", 450), Assert.Single(failed.Sent<RefundPayment>()));
        Assert.Equal(new OrderCancelled(id, "drink-failed"), Assert.Single(failed.Published<OrderCancelled>()));
        // The saga compensates and then ends the order itself: completed, at the refunded stage.
        var order = await OrderAsync(id);
        Assert.Equal((SagaStatus.Completed, "refunded"), (order.Status, order.State.Stage));
        Assert.True(Assert.Single(order.Details.Compensations).HasRun);
    }

    [Fact]
    public async Task A_silent_barista_refunds_the_card_at_the_deadline_and_not_before()
    {
        var id = await PlaceAsync("Di");
        await Harness.PublishAsync(new PaymentAccepted(id, "pay-4", 450), cancellationToken: Ct);

        var before = await Harness.AdvanceAsync(Deadline - TimeSpan.FromSeconds(1), Ct);
        Assert.Empty(before.Handled);
        Assert.Equal(SagaStatus.Active, (await OrderAsync(id)).Status);

        var at = await Harness.AdvanceAsync(TimeSpan.FromSeconds(1), Ct);

        Assert.Equal(new RefundPayment(id, "pay-4", 450), Assert.Single(at.Sent<RefundPayment>()));
        Assert.Equal(new OrderCancelled(id, "barista-timeout"), Assert.Single(at.Published<OrderCancelled>()));
        var order = await OrderAsync(id);
        Assert.Equal((SagaStatus.Completed, "refunded"), (order.Status, order.State.Stage));
        Assert.True(Assert.Single(order.Details.Compensations).HasRun);
    }
}
