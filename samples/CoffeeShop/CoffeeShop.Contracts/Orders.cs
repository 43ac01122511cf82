using Tidings;

namespace CoffeeShop.Contracts;

/// <summary>A drink as ordered.</summary>
/// <param name="Name">What it is (<c>latte</c>, <c>flat-white</c>): one of the counter's menu.</param>
/// <param name="Size"><c>small</c>, <c>medium</c> or <c>large</c>.</param>
public sealed record DrinkLine(string Name, string Size);

/// <summary>
/// The counter took an order (published, in the transaction that stored it). Cashier charges the card; barista starts
/// the drinks at once, before the payment is through, as at Starbucks.
/// </summary>
/// <param name="OrderId">The name on the cup: the customer's name and a short code (<c>Ada-7F3</c>), the order saga's correlation id.</param>
/// <param name="Customer">Who ordered.</param>
/// <param name="Drinks">What to make.</param>
/// <param name="AmountCents">What to charge.</param>
/// <param name="CardToken">The card, as the payment gateway knows it (never the number itself).</param>
[MessageName("coffeeshop.order-placed")]
public sealed record OrderPlaced(string OrderId, string Customer, IReadOnlyList<DrinkLine> Drinks, long AmountCents, string CardToken);

/// <summary>The order is done: paid and served. Rewards awards its stars.</summary>
[MessageName("coffeeshop.order-completed")]
public sealed record OrderCompleted(string OrderId, string Customer, long AmountCents);

/// <summary>The order ended without a drink: declined, failed, or the barista never answered (refunded where charged).</summary>
/// <param name="OrderId">The order.</param>
/// <param name="Reason"><c>payment-declined</c>, <c>drink-failed</c> or <c>barista-timeout</c>.</param>
[MessageName("coffeeshop.order-cancelled")]
public sealed record OrderCancelled(string OrderId, string Reason);
