using System.ComponentModel.DataAnnotations;
using CoffeeShop.Contracts;

namespace CoffeeShop.Counter.Orders;

/// <summary>What a customer asks for at the counter.</summary>
/// <param name="Customer">The name to write on the cup.</param>
/// <param name="Drinks">One to five drinks from the menu.</param>
/// <param name="CardToken">The card, as the payment gateway knows it.</param>
public sealed record PlaceOrder(
    [property: Required, StringLength(40, MinimumLength = 1),
        RegularExpression(@"^[\p{L}\p{M}\p{Nd}][\p{L}\p{M}\p{Nd} .'-]*$", ErrorMessage = "A name on a cup is letters, digits, spaces, dots, hyphens and apostrophes.")]
    string Customer,
    [property: Required, MinLength(1), MaxLength(5)] IReadOnlyList<DrinkLine> Drinks,
    [property: Required, StringLength(64, MinimumLength = 4)] string CardToken);

/// <summary>What the counter makes, and what it costs.</summary>
public static class Menu
{
    private static readonly Dictionary<string, long> Prices = new(StringComparer.Ordinal)
    {
        ["espresso"] = 250, ["flat-white"] = 350, ["latte"] = 380, ["cappuccino"] = 360, ["mocha"] = 420, ["tea"] = 220,
    };

    private static readonly Dictionary<string, double> Sizes = new(StringComparer.Ordinal) { ["small"] = 1.0, ["medium"] = 1.2, ["large"] = 1.4 };

    /// <summary>The price of the order in cents, or why the counter cannot take it.</summary>
    public static (long Cents, string? Problem) Price(IReadOnlyList<DrinkLine> drinks)
    {
        long total = 0;
        foreach (var drink in drinks)
        {
            if (!Prices.TryGetValue(drink.Name, out var price))
            {
                return (0, $"'{drink.Name}' is not on the menu: {string.Join(", ", Prices.Keys)}.");
            }

            if (!Sizes.TryGetValue(drink.Size, out var factor))
            {
                return (0, $"'{drink.Size}' is not a size: {string.Join(", ", Sizes.Keys)}.");
            }

            total += (long)Math.Round(price * factor);
        }

        return (total, null);
    }
}
