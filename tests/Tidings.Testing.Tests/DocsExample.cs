// The complete example of docs/testing.md, compiled and run; DocsExampleTests keeps the page and this file identical.
#pragma warning disable xUnit1051 // The page's example stays short: no test cancellation token.
// <docs>
using Tidings;
using Tidings.Testing;

namespace Shop;

[MessageName("shop.order-placed")] public sealed record OrderPlaced(string OrderId, int Cents);
[MessageName("shop.charge")] public sealed record Charge(string OrderId, int Cents);
[MessageName("shop.charged")] public sealed record Charged(string OrderId);
[MessageName("shop.refund")] public sealed record Refund(string OrderId, int Cents);
[MessageName("shop.shipped")] public sealed record Shipped(string OrderId);
[MessageName("shop.ship-by")] public sealed record ShipBy(string OrderId);

public sealed class Order { public int Cents { get; set; } }

// Charge, then wait for shipping; refund if nothing shipped within two days.
public sealed class OrderProcess : Saga<Order>
{
    public OrderProcess()
    {
        StartedBy<OrderPlaced>(m => m.OrderId, async (m, saga) =>
        {
            saga.State.Cents = m.Cents;
            await saga.SendAsync("payments", new Charge(m.OrderId, m.Cents));
        });
        Handles<Charged>(m => m.OrderId, (m, saga) =>
        {
            saga.AddCompensation("charge", "payments", new Refund(m.OrderId, saga.State.Cents));
            saga.RequestTimeout("ship-by", TimeSpan.FromDays(2), new ShipBy(m.OrderId));
            return Task.CompletedTask;
        });
        Handles<Shipped>(m => m.OrderId, (_, saga) => { saga.Complete(); return Task.CompletedTask; });
        OnTimeout<ShipBy>((_, saga) => { saga.Compensate("not shipped in time"); return Task.CompletedTask; });
    }
}

public static class OrderService
{
    // Program.cs calls this after UseRabbitMq(...) and UsePostgreSqlStore(...); the test hands it to the harness.
    public static TidingsBuilder AddOrders(this TidingsBuilder tidings) => tidings.AddEndpoint("orders", e =>
    {
        e.DeliveryMode = DeliveryMode.EffectivelyOnce;
        e.Saga<OrderProcess>("order");
    });
}

public sealed class OrderProcessTests
{
    [Fact]
    public async Task An_order_not_shipped_in_two_days_is_refunded()
    {
        await using var harness = await TidingsHarness.StartAsync(t => t.AddOrders());

        var placed = await harness.PublishAsync(new OrderPlaced("o-1", 450));   // returns when all is quiet
        Assert.Equal(new Charge("o-1", 450), Assert.Single(placed.Sent<Charge>()));

        await harness.PublishAsync(new Charged("o-1"));                          // as the payments service would
        var twoDays = await harness.AdvanceAsync(TimeSpan.FromDays(2));          // virtual time: no waiting

        Assert.Equal(new Refund("o-1", 450), Assert.Single(twoDays.Sent<Refund>()));
        var order = await harness.SagaAsync<Order>("order", "o-1");
        Assert.Equal(SagaStatus.Compensated, order!.Status);
    }
}
// </docs>
