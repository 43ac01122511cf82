using CoffeeShop.Contracts;

namespace CoffeeShop.Tests;

/// <summary>
/// The counter as a real process on the embedded defaults, and the test as cashier and barista on the same bus file:
/// each of the essay's outcomes (served, written off, refunded after a failed drink, refunded after a silent barista).
/// </summary>
public sealed class OrderSagaTests : IAsyncLifetime
{
    private ShopBus? _shop;

    private ShopBus Shop => _shop!;

    public async ValueTask InitializeAsync() => _shop = await ShopBus.StartAsync(
        ("cashier", ["coffeeshop.order-placed"]), ("barista", ["coffeeshop.order-placed"]),
        ("outcomes", ["coffeeshop.order-completed", "coffeeshop.order-cancelled"]));

    public async ValueTask DisposeAsync()
    {
        if (_shop is not null)
        {
            await _shop.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_paid_and_made_order_is_served_and_completed_once()
    {
        var (counter, address) = await ServiceProcess.StartAsync("CoffeeShop.Counter", Shop.Data);
        using var _ = counter;
        var order = await PlaceAsync(address, "Ada");
        await Shop.PublishAsync("coffeeshop.drink-ready", new DrinkReady(order, "barista-1"));
        await Shop.PublishAsync("coffeeshop.payment-accepted", new PaymentAccepted(order, "pay-1", 532));

        var outcome = await Shop.NextAsync("outcomes", "coffeeshop.order-completed");
        Assert.Equal(order, outcome.GetProperty("orderId").GetString());
        Assert.Equal(532, outcome.GetProperty("amountCents").GetInt64());
    }

    [Fact]
    public async Task A_declined_card_writes_the_drink_off_and_cancels_the_order()
    {
        var (counter, address) = await ServiceProcess.StartAsync("CoffeeShop.Counter", Shop.Data);
        using var _ = counter;
        var order = await PlaceAsync(address, "Bob");
        await Shop.PublishAsync("coffeeshop.payment-declined", new PaymentDeclined(order, "insufficient funds"));

        Assert.Equal(order, (await Shop.NextAsync("barista", "coffeeshop.write-off-drink")).GetProperty("orderId").GetString());
        Assert.Equal("payment-declined", (await Shop.NextAsync("outcomes", "coffeeshop.order-cancelled")).GetProperty("reason").GetString());
    }

    [Fact]
    public async Task A_drink_that_fails_after_the_charge_is_refunded()
    {
        var (counter, address) = await ServiceProcess.StartAsync("CoffeeShop.Counter", Shop.Data);
        using var _ = counter;
        var order = await PlaceAsync(address, "Cy");
        await Shop.PublishAsync("coffeeshop.payment-accepted", new PaymentAccepted(order, "pay-3", 532));
        await Shop.PublishAsync("coffeeshop.drink-failed", new DrinkFailed(order, "barista-2", "the machine broke"));

        var refund = await Shop.NextAsync("cashier", "coffeeshop.refund-payment");
        Assert.Equal(("pay-3", 532L), (refund.GetProperty("paymentId").GetString(), refund.GetProperty("amountCents").GetInt64()));
        Assert.Equal("drink-failed", (await Shop.NextAsync("outcomes", "coffeeshop.order-cancelled")).GetProperty("reason").GetString());
    }

    [Fact]
    public async Task A_barista_silent_past_the_deadline_gets_the_paid_order_refunded()
    {
        var (counter, address) = await ServiceProcess.StartAsync("CoffeeShop.Counter", Shop.Data, ("CoffeeShop__BaristaDeadlineSeconds", "1"));
        using var _ = counter;
        var order = await PlaceAsync(address, "Di");
        await Shop.PublishAsync("coffeeshop.payment-accepted", new PaymentAccepted(order, "pay-4", 532));

        Assert.Equal("pay-4", (await Shop.NextAsync("cashier", "coffeeshop.refund-payment")).GetProperty("paymentId").GetString());
        Assert.Equal("barista-timeout", (await Shop.NextAsync("outcomes", "coffeeshop.order-cancelled")).GetProperty("reason").GetString());
    }

    /// <summary>Places an order; returns its id once cashier and barista (the test) have heard of it, as the counter's saga does.</summary>
    private async Task<string> PlaceAsync(Uri counter, string customer)
    {
        var id = await ShopBus.PlaceAsync(counter, customer);
        Assert.Equal(id, (await Shop.NextAsync("cashier", "coffeeshop.order-placed")).GetProperty("orderId").GetString());
        Assert.Equal(id, (await Shop.NextAsync("barista", "coffeeshop.order-placed")).GetProperty("orderId").GetString());
        return id;
    }
}
