using System.Text.Json;
using CoffeeShop.Contracts;
using Tidings;

namespace CoffeeShop.Counter.Orders;

/// <summary>What a served order's customer gets: where the status resource sends them (303) once the drinks are handed over.</summary>
/// <param name="OrderId">The name on the cup.</param>
/// <param name="Customer">Who ordered.</param>
/// <param name="Drinks">What was served.</param>
/// <param name="AmountCents">What was charged.</param>
/// <param name="PaymentId">The payment gateway's id of the charge.</param>
/// <param name="Barista">Who made the drinks.</param>
/// <param name="ServedAt">When the order was complete: paid and made.</param>
public sealed record Receipt(
    string OrderId, string Customer, IReadOnlyList<DrinkLine> Drinks, long AmountCents, string PaymentId, string Barista, DateTimeOffset ServedAt)
{
    /// <summary>The receipt of a served order; null for one that is not (yet, or ever: written off, refunded).</summary>
    public static Receipt? Of(SagaInstanceDetails? order)
    {
        if (order is not { Summary.Status: SagaStatus.Completed })
        {
            return null;
        }

        var state = order.State.Deserialize<OrderState>(JsonSerializerOptions.Web)!;
        if (state.Stage != "served")
        {
            return null;
        }

        var servedAt = order.History.LastOrDefault(h => h.Kind == "completed")?.At ?? order.Summary.UpdatedAt;
        return new Receipt(order.Summary.CorrelationId, state.Customer, state.Drinks, state.AmountCents, state.PaymentId ?? "", state.Barista ?? "", servedAt);
    }
}
