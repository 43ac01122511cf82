using CoffeeShop.Contracts;
using Tidings;
using Tidings.AspNetCore;

namespace CoffeeShop.Counter.Orders;

/// <summary>The counter's HTTP API: place an order (202 at once), follow it, watch it, cancel it.</summary>
public static class OrderEndpoints
{
    public static IEndpointRouteBuilder MapOrders(this IEndpointRouteBuilder app)
    {
        if (CounterSetup.IsSync(app.ServiceProvider.GetRequiredService<IConfiguration>()))
        {
            return app.MapSyncOrders();
        }

        app.MapAccepted<PlaceOrder>("/orders", async (order, accept) =>
        {
            var (cents, problem) = Menu.Price(order.Drinks);
            if (problem is not null)
            {
                throw new AcceptRefusedException("The counter cannot make that.", problem, type: "https://coffeeshop.example/problems/not-on-the-menu");
            }

            // The name on the cup: the customer's name and a code that tells two Adas apart.
            var id = $"{order.Customer}-{Guid.CreateVersion7().ToString("N")[^6..].ToUpperInvariant()}";
            await accept.PublishAsync(new OrderPlaced(id, order.Customer, order.Drinks, cents, order.CardToken), cancellationToken: accept.CancellationToken);
            return AcceptContext.Resource(id, $"/orders/{Uri.EscapeDataString(id)}");
        });
        app.MapAcceptedStatus("/orders/{id}", SagaResourceStatus.For(OrderSaga.Name, ReceiptOf, Stage, WhyNotServed));
        app.MapAcceptedEvents("/orders/{id}/events", SagaResourceStatus.Events(OrderSaga.Name, ReceiptOf, Stage, WhyNotServed));
        app.MapAcceptedResult("/orders/{id}/receipt", async (id, http) =>
            Receipt.Of(await http.RequestServices.GetRequiredService<ISagaInspector>().GetAsync(OrderSaga.Name, id, http.RequestAborted)));
        return app;
    }

    /// <summary>An order that ended without its drinks, in the customer's words; null for one that was served.</summary>
    private static ResourceFailure? WhyNotServed(SagaInstanceDetails order) => Stage(order) switch
    {
        "written-off" => new("The card was declined.", "The payment was declined, so the drinks were not served. Nothing was charged.",
            "https://coffeeshop.example/problems/payment-declined"),
        "refunded" => new("The drinks could not be made.", "Your payment was refunded in full.", "https://coffeeshop.example/problems/refunded"),
        _ => null,
    };

    private static string ReceiptOf(SagaInstanceDetails order) => $"/orders/{Uri.EscapeDataString(order.Summary.CorrelationId)}/receipt";

    private static string Stage(SagaInstanceDetails order) => order.State.GetProperty("stage").GetString() ?? "placed";
}
