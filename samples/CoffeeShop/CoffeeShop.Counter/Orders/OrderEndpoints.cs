using CoffeeShop.Contracts;
using Tidings.AspNetCore;

namespace CoffeeShop.Counter.Orders;

/// <summary>The counter's HTTP API: place an order (202 at once), follow it, watch it, cancel it.</summary>
public static class OrderEndpoints
{
    public static IEndpointRouteBuilder MapOrders(this IEndpointRouteBuilder app)
    {
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
        app.MapAcceptedStatus("/orders/{id}", SagaResourceStatus.For("order", describe: Stage));
        app.MapAcceptedEvents("/orders/{id}/events", SagaResourceStatus.Events("order", describe: Stage));
        return app;
    }

    private static string Stage(Tidings.SagaInstanceDetails order) => order.State.GetProperty("stage").GetString() ?? "placed";
}
