using Tidings;

namespace CoffeeShop.Contracts;

/// <summary>A barista made the order's drinks.</summary>
[MessageName("coffeeshop.drink-ready")]
public sealed record DrinkReady(string OrderId, string Barista);

/// <summary>The machine broke: the drinks cannot be made, and the saga refunds the payment.</summary>
[MessageName("coffeeshop.drink-failed")]
public sealed record DrinkFailed(string OrderId, string Barista, string Reason);

/// <summary>A command to the baristas: the payment was declined, throw the drink away (the essay's write-off).</summary>
[MessageName("coffeeshop.write-off-drink")]
public sealed record WriteOffDrink(string OrderId);
