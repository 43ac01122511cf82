using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Tidings.Transport.Contracts;

namespace CoffeeShop.Tests;

/// <summary>
/// The whole shop as real processes on the embedded defaults: orders over HTTP, cashier through the payment gateway,
/// two baristas competing on one queue, rewards as a second subscriber. What a customer and the shop's books see.
/// </summary>
public sealed class ShopTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Orders_are_served_by_both_baristas_and_earn_their_stars_once()
    {
        await using var shop = await RunningShop.StartAsync(baristas: 2, [("Barista__DrinkMs", "50")]);
        using var customer = new CounterClient(shop.Counter);
        var orders = new List<PlacedOrder>();
        for (var i = 0; i < 8; i++)
        {
            orders.Add(await customer.PlaceAsync(i % 2 == 0 ? "Ada" : "Bo"));
        }

        var baristas = new HashSet<string>(StringComparer.Ordinal);
        foreach (var order in orders)
        {
            var served = await customer.WaitForStatusAsync(order, r => r.StatusCode == HttpStatusCode.SeeOther || IsProblem(r));
            Assert.True(served.StatusCode == HttpStatusCode.SeeOther, $"{order.Id} was not served: {await served.Content.ReadAsStringAsync(Ct)}");
            baristas.UnionWith(await BaristasOfAsync(customer, order));
        }

        // Competing consumers: both took orders.
        Assert.Equal(["barista-1", "barista-2"], baristas.Order(StringComparer.Ordinal));

        // A large latte is 532 cents: 5 stars an order, 4 orders each, once each.
        await WaitForStarsAsync(shop, "Ada", (20, 4));
        await WaitForStarsAsync(shop, "Bo", (20, 4));
        var ledger = await shop.LedgerAsync();
        Assert.Equal(orders.Select(o => o.Id).Order(StringComparer.Ordinal),
            ledger.GetProperty("charges").EnumerateArray().Select(c => c.GetProperty("key").GetString()!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_same_idempotency_key_twice_makes_one_order_and_one_charge()
    {
        await using var shop = await RunningShop.StartAsync(baristas: 1, [("Barista__DrinkMs", "0")]);
        using var customer = new CounterClient(shop.Counter);
        var key = Guid.NewGuid().ToString();
        // A name with a space and a letter beyond ASCII: escaped in Location, still the customer's to read.
        var first = await customer.PlaceAsync("Zoë Ann", key: key);
        var body = new { customer = "Zoë Ann", drinks = new[] { new { name = "latte", size = "large" } }, cardToken = "tok_visa" };
        using var again = await customer.PostAsync(body, key);

        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(first.Id, (await again.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString());
        Assert.Equal(HttpStatusCode.SeeOther, (await customer.WaitForStatusAsync(first, r => r.StatusCode == HttpStatusCode.SeeOther)).StatusCode);

        await WaitForStarsAsync(shop, "Zoë Ann", (5, 1));
        var charges = (await shop.LedgerAsync()).GetProperty("charges").EnumerateArray().ToList();
        Assert.Equal(Uri.EscapeDataString(first.Id), Assert.Single(charges).GetProperty("key").GetString()); // the key, as a header carries it
    }

    [Fact]
    public async Task A_barista_killed_mid_drink_and_started_again_leaves_every_order_finished_and_nothing_doubled()
    {
        await using var shop = await RunningShop.StartAsync(baristas: 1, [("Barista__DrinkMs", "300")]);
        using var customer = new CounterClient(shop.Counter);
        var orders = new List<PlacedOrder>();
        for (var i = 0; i < 10; i++)
        {
            orders.Add(await customer.PlaceAsync($"Di{i % 3}"));
        }

        // Killed with an order in its hands (leased) after it served the first.
        await customer.WaitForStatusAsync(orders[0], r => r.StatusCode == HttpStatusCode.SeeOther);
        await Effects.WaitForAsync(async () => await shop.QueuedAsync("barista", leasedOnly: true) > 0, TimeSpan.FromSeconds(30), () => "the barista held no order");
        shop.Baristas[0].Kill();

        // The counter still takes orders while no barista works: 202 at once.
        orders.Add(await customer.PlaceAsync("Di0"));
        await shop.StartBaristaAsync();

        var served = 0;
        foreach (var order in orders)
        {
            var final = await customer.WaitForStatusAsync(order, r => r.StatusCode == HttpStatusCode.SeeOther || IsProblem(r));
            served += final.StatusCode == HttpStatusCode.SeeOther ? 1 : 0;
        }

        Assert.Equal(orders.Count, served);
        var ledger = await shop.LedgerAsync();
        var keys = ledger.GetProperty("charges").EnumerateArray().Select(c => c.GetProperty("key").GetString()!).ToList();
        Assert.Equal(orders.Select(o => o.Id).Order(StringComparer.Ordinal), keys.Order(StringComparer.Ordinal)); // each charged, once
        await WaitForStarsAsync(shop, "Di0", (5 * 5, 5));
        await WaitForStarsAsync(shop, "Di1", (3 * 5, 3));
        await WaitForStarsAsync(shop, "Di2", (3 * 5, 3));
    }

    private static bool IsProblem(HttpResponseMessage response) => response.Content.Headers.ContentType?.MediaType == "application/problem+json";

    /// <summary>The barista that made a served order, from its receipt.</summary>
    private static async Task<IEnumerable<string>> BaristasOfAsync(CounterClient customer, PlacedOrder order)
    {
        var status = await customer.GetAsync(order.Location, order);
        var receipt = await customer.GetAsync(status.Headers.Location!.ToString(), order);
        Assert.Equal(HttpStatusCode.OK, receipt.StatusCode);
        return [(await receipt.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("barista").GetString()!];
    }

    private static async Task WaitForStarsAsync(RunningShop shop, string customer, (long Stars, long Orders) expected)
    {
        (long, long) last = default;
        await Effects.WaitForAsync(async () => (last = await shop.StarsAsync(customer)) == expected, TimeSpan.FromSeconds(45),
            () => $"{customer} has {last}, not {expected}");

        // Once every award is in, none is left to come: the queue is empty (a second award would have been a second message).
        await Effects.WaitForAsync(async () => await shop.QueuedAsync("rewards") == 0, TimeSpan.FromSeconds(45), () => "rewards' queue never emptied");
        Assert.Equal(expected, await shop.StarsAsync(customer));
    }
}
