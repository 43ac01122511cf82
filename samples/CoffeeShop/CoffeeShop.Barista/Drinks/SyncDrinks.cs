using CoffeeShop.Contracts;

namespace CoffeeShop.Barista.Drinks;

/// <summary>A drink order over HTTP, for the suite's sync mode (the foil of the benchmark): the caller waits while it is made.</summary>
/// <param name="OrderId">The name on the cup.</param>
/// <param name="Drinks">What to make.</param>
public sealed record DrinkRequest(string OrderId, IReadOnlyList<DrinkLine> Drinks);

public static class SyncDrinks
{
    /// <summary><c>POST /drinks</c>: makes the drinks and answers when they are ready (or failed).</summary>
    public static IEndpointRouteBuilder MapSyncDrinks(this IEndpointRouteBuilder app)
    {
        app.MapPost("/drinks", async (DrinkRequest request, Brewer brewer, CancellationToken cancellationToken) =>
            TypedResults.Ok(await brewer.MakeAsync(request.OrderId, request.Drinks.Count, cancellationToken)));
        return app;
    }
}
