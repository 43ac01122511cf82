using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
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
        using var customer = new CounterClient(address);
        var order = await PlaceAsync(customer, "Ada");
        await Shop.PublishAsync("coffeeshop.drink-ready", new DrinkReady(order.Id, "barista-1"));
        await Shop.PublishAsync("coffeeshop.payment-accepted", new PaymentAccepted(order.Id, "pay-1", 532));

        var outcome = await Shop.NextAsync("outcomes", "coffeeshop.order-completed");
        Assert.Equal(order.Id, outcome.GetProperty("orderId").GetString());
        Assert.Equal(532, outcome.GetProperty("amountCents").GetInt64());

        // Done: the status sends the customer to the receipt, which only they may read.
        var done = await customer.WaitForStatusAsync(order, r => r.StatusCode == HttpStatusCode.SeeOther);
        Assert.Equal($"/orders/{order.Id}/receipt", done.Headers.Location?.ToString());
        var receipt = await (await customer.GetAsync(done.Headers.Location!.ToString(), order)).Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal((order.Id, "Ada", "pay-1", 532L), (receipt.GetProperty("orderId").GetString(), receipt.GetProperty("customer").GetString(),
            receipt.GetProperty("paymentId").GetString(), receipt.GetProperty("amountCents").GetInt64()));
        Assert.Equal("latte", receipt.GetProperty("drinks")[0].GetProperty("name").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await customer.GetAsync(done.Headers.Location.ToString(), order with { Token = "forged" })).StatusCode);
    }

    [Fact]
    public async Task A_declined_card_writes_the_drink_off_and_cancels_the_order()
    {
        var (counter, address) = await ServiceProcess.StartAsync("CoffeeShop.Counter", Shop.Data);
        using var _ = counter;
        using var customer = new CounterClient(address);
        var order = await PlaceAsync(customer, "Bob");
        await Shop.PublishAsync("coffeeshop.payment-declined", new PaymentDeclined(order.Id, "insufficient funds"));

        Assert.Equal(order.Id, (await Shop.NextAsync("barista", "coffeeshop.write-off-drink")).GetProperty("orderId").GetString());
        Assert.Equal("payment-declined", (await Shop.NextAsync("outcomes", "coffeeshop.order-cancelled")).GetProperty("reason").GetString());
        var cancelled = await customer.WaitForStatusAsync(order, IsProblem);
        Assert.EndsWith("/payment-declined", (await ProblemAsync(cancelled)).GetProperty("type").GetString(), StringComparison.Ordinal);

        // The drink the barista had started comes after the write-off: recorded (the version moves on), not a failure,
        // and the order stays written off.
        await Shop.PublishAsync("coffeeshop.drink-ready", new DrinkReady(order.Id, "barista-1"));
        var later = await customer.WaitForStatusAsync(order, r => r.Headers.ETag?.Tag != cancelled.Headers.ETag?.Tag);
        var problem = await ProblemAsync(later);
        Assert.Equal(("written-off", 200), (problem.GetProperty("state").GetString(), problem.GetProperty("status").GetInt32()));
    }

    [Fact]
    public async Task Bad_orders_get_problem_details_with_the_right_status_and_nothing_is_stored()
    {
        var (counter, address) = await ServiceProcess.StartAsync("CoffeeShop.Counter", Shop.Data);
        using var _ = counter;
        using var customer = new CounterClient(address);
        var latte = new[] { new { name = "latte", size = "large" } };

        using var malformed = new HttpRequestMessage(HttpMethod.Post, "/orders") { Content = new StringContent("{\"customer\": \"Ada\", \"drinks\": [", System.Text.Encoding.UTF8, "application/json") };
        malformed.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        await AssertProblemAsync(await customer.SendAsync(malformed), HttpStatusCode.BadRequest);
        await AssertProblemAsync(await customer.PostAsync(new { customer = "Ada", drinks = new[] { new { name = "beer", size = "large" } }, cardToken = "tok_visa" }, Guid.NewGuid().ToString()),
            HttpStatusCode.UnprocessableEntity, "not on the menu");
        await AssertProblemAsync(await customer.PostAsync(new { customer = "Ada", drinks = latte, cardToken = "tok_visa" }, key: null), HttpStatusCode.BadRequest, "Idempotency-Key");
        await AssertProblemAsync(await customer.PostAsync(new { customer = "", drinks = latte, cardToken = "tok_visa" }, Guid.NewGuid().ToString()), HttpStatusCode.BadRequest, "Customer");
        await AssertProblemAsync(await customer.PostAsync(new { customer = new string('a', 20_000), drinks = latte, cardToken = "tok_visa" }, Guid.NewGuid().ToString()),
            HttpStatusCode.RequestEntityTooLarge);

        // Nothing of them was stored: the first order the cashier hears of is the good one placed after them.
        var good = await customer.PlaceAsync("Ada");
        Assert.Equal(good.Id, (await Shop.NextAsync("cashier", "coffeeshop.order-placed")).GetProperty("orderId").GetString());
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string? mentions = null)
    {
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == status, $"{response.StatusCode}, not {status}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        if (mentions is not null)
        {
            Assert.Contains(mentions, body, StringComparison.OrdinalIgnoreCase);
        }
    }

    private static bool IsProblem(HttpResponseMessage response) => response.Content.Headers.ContentType?.MediaType == "application/problem+json";

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response)
    {
        Assert.True(IsProblem(response), $"{response.StatusCode}: not problem details");
        return await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task A_drink_that_fails_after_the_charge_is_refunded()
    {
        var (counter, address) = await ServiceProcess.StartAsync("CoffeeShop.Counter", Shop.Data);
        using var _ = counter;
        using var customer = new CounterClient(address);
        var order = (await PlaceAsync(customer, "Cy")).Id;
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
        using var customer = new CounterClient(address);
        var order = (await PlaceAsync(customer, "Di")).Id;
        await Shop.PublishAsync("coffeeshop.payment-accepted", new PaymentAccepted(order, "pay-4", 532));

        Assert.Equal("pay-4", (await Shop.NextAsync("cashier", "coffeeshop.refund-payment")).GetProperty("paymentId").GetString());
        Assert.Equal("barista-timeout", (await Shop.NextAsync("outcomes", "coffeeshop.order-cancelled")).GetProperty("reason").GetString());
    }

    /// <summary>Places an order; returns it once cashier and barista (the test) have heard of it, as the counter's saga does.</summary>
    private async Task<PlacedOrder> PlaceAsync(CounterClient counter, string customer)
    {
        var placed = await counter.PlaceAsync(customer);
        Assert.Equal(placed.Id, (await Shop.NextAsync("cashier", "coffeeshop.order-placed")).GetProperty("orderId").GetString());
        Assert.Equal(placed.Id, (await Shop.NextAsync("barista", "coffeeshop.order-placed")).GetProperty("orderId").GetString());
        return placed;
    }
}
