using System.Net.Http.Json;
using System.Text.Json;
using CoffeeShop.Contracts;

namespace CoffeeShop.Tests;

/// <summary>
/// Counter, cashier and the payment gateway as real processes on one bus file; the test is the barista. The card is
/// charged through the gateway's synchronous API, behind cashier's resilience pipeline.
/// </summary>
public sealed class PaymentTests : IAsyncLifetime
{
    private ShopBus? _shop;

    private ShopBus Shop => _shop!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _shop = await ShopBus.StartAsync(
        ("barista", ["coffeeshop.order-placed"]), ("outcomes", ["coffeeshop.order-completed", "coffeeshop.order-cancelled"]));

    public async ValueTask DisposeAsync()
    {
        if (_shop is not null)
        {
            await _shop.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_card_is_charged_once_though_the_gateway_fails_the_first_attempts()
    {
        var (gateway, gatewayAddress) = await ServiceProcess.StartAsync("CoffeeShop.PaymentGateway", Shop.Data, ("PaymentGateway__FailFirst", "2"));
        using var g = gateway;
        var (cashier, _) = await ServiceProcess.StartAsync("CoffeeShop.Cashier", Shop.Data, ("CoffeeShop__PaymentGateway", gatewayAddress.ToString()));
        using var c = cashier;
        var (counter, counterAddress) = await ServiceProcess.StartAsync("CoffeeShop.Counter", Shop.Data);
        using var k = counter;

        var order = await PlaceAsync(counterAddress, "Ada", "tok_visa");
        await Shop.PublishAsync("coffeeshop.drink-ready", new DrinkReady(order, "barista-1"));
        Assert.Equal(order, (await Shop.NextAsync("outcomes", "coffeeshop.order-completed", cashier)).GetProperty("orderId").GetString());

        // Three calls with the order's key (two refused, then the charge), one charge.
        using var http = new HttpClient { BaseAddress = gatewayAddress };
        var ledger = await http.GetFromJsonAsync<JsonElement>("/ledger", Ct);
        var charges = ledger.GetProperty("charges").EnumerateArray().Where(x => x.GetProperty("key").GetString() == order).ToList();
        Assert.Equal("accepted", Assert.Single(charges).GetProperty("status").GetString());
        Assert.True(ledger.GetProperty("attempts").GetProperty(order).GetInt32() >= 3);
    }

    [Fact]
    public async Task A_declined_card_writes_the_drink_off()
    {
        var (gateway, gatewayAddress) = await ServiceProcess.StartAsync("CoffeeShop.PaymentGateway", Shop.Data);
        using var g = gateway;
        var (cashier, _) = await ServiceProcess.StartAsync("CoffeeShop.Cashier", Shop.Data, ("CoffeeShop__PaymentGateway", gatewayAddress.ToString()));
        using var c = cashier;
        var (counter, counterAddress) = await ServiceProcess.StartAsync("CoffeeShop.Counter", Shop.Data);
        using var k = counter;

        var order = await PlaceAsync(counterAddress, "Bob", "tok_declined");
        Assert.Equal(order, (await Shop.NextAsync("barista", "coffeeshop.write-off-drink", cashier)).GetProperty("orderId").GetString());
        Assert.Equal("payment-declined", (await Shop.NextAsync("outcomes", "coffeeshop.order-cancelled", cashier)).GetProperty("reason").GetString());
    }

    [Fact]
    public async Task A_gateway_that_keeps_failing_opens_the_circuit_the_orders_wait_and_each_is_charged_once_when_it_recovers()
    {
        var (gateway, gatewayAddress) = await ServiceProcess.StartAsync("CoffeeShop.PaymentGateway", Shop.Data, ("PaymentGateway__FailureRate", "1"));
        using var g = gateway;
        var (cashier, _) = await ServiceProcess.StartAsync("CoffeeShop.Cashier", Shop.Data, ("CoffeeShop__PaymentGateway", gatewayAddress.ToString()));
        using var c = cashier;
        var (counter, counterAddress) = await ServiceProcess.StartAsync("CoffeeShop.Counter", Shop.Data);
        using var k = counter;

        var orders = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            orders.Add(await PlaceAsync(counterAddress, $"Eve{i}", "tok_visa"));
            await Shop.PublishAsync("coffeeshop.drink-ready", new DrinkReady(orders[^1], "barista-1"));
        }

        // Every call fails: the breaker opens (Polly logs it), and cashier stops calling for a while.
        await Tidings.Transport.Contracts.Effects.WaitForAsync(() => cashier.Output.Contains("OnCircuitOpened", StringComparison.Ordinal), TimeSpan.FromSeconds(60),
            () => $"the circuit never opened: {cashier.Output}");

        using var http = new HttpClient { BaseAddress = gatewayAddress };
        (await http.PutAsJsonAsync("/faults", new { failureRate = 0.0 }, Ct)).EnsureSuccessStatusCode();

        // The orders waited on cashier's queue: all three are served, none cancelled, each charged once.
        var completed = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            completed.Add((await Shop.NextAsync("outcomes", "coffeeshop.order-completed", cashier)).GetProperty("orderId").GetString()!);
        }

        Assert.Equal(orders.Order(StringComparer.Ordinal), completed.Order(StringComparer.Ordinal));
        var ledger = await http.GetFromJsonAsync<JsonElement>("/ledger", Ct);
        var charges = ledger.GetProperty("charges").EnumerateArray().Select(x => x.GetProperty("key").GetString()!).ToList();
        Assert.Equal(orders.Order(StringComparer.Ordinal), charges.Order(StringComparer.Ordinal));
    }

    /// <summary>Places an order; returns its id once the barista (the test) has heard of it.</summary>
    private async Task<string> PlaceAsync(Uri counter, string customer, string card)
    {
        using var client = new CounterClient(counter);
        var id = (await client.PlaceAsync(customer, card)).Id;
        Assert.Equal(id, (await Shop.NextAsync("barista", "coffeeshop.order-placed")).GetProperty("orderId").GetString());
        return id;
    }
}
