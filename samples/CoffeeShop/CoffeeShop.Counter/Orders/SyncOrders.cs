using System.ComponentModel.DataAnnotations;
using System.Net.Http.Json;
using CoffeeShop.Contracts;

namespace CoffeeShop.Counter.Orders;

/// <summary>
/// The foil of the benchmark (<c>CoffeeShop:Mode=sync</c>): the counter does the whole job while the customer waits, as
/// services that only talk HTTP do. It charges the card through cashier, has a barista make the drinks, refunds if they
/// fail, and answers at the end. Every service's latency and downtime is now the customer's.
/// </summary>
public static class SyncOrders
{
    public static IServiceCollection AddSyncOrders(this IServiceCollection services, IConfiguration configuration)
    {
        var cashier = new Uri(configuration["CoffeeShop:Services:cashier"] ?? "http://127.0.0.1:5201");
        services.AddHttpClient("cashier", http => http.BaseAddress = cashier);

        // Baristas, one after another (';' between their addresses): the load balancer a sync system needs.
        var baristas = (configuration["CoffeeShop:Services:barista"] ?? "http://127.0.0.1:5202").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        for (var i = 0; i < baristas.Length; i++)
        {
            var address = new Uri(baristas[i]);
            services.AddHttpClient($"barista-{i}", http => http.BaseAddress = address);
        }

        services.AddSingleton(new BaristaRoster(baristas.Length));
        return services;
    }

    public static IEndpointRouteBuilder MapSyncOrders(this IEndpointRouteBuilder app)
    {
        app.MapPost("/orders", async (PlaceOrder order, IHttpClientFactory http, BaristaRoster roster, CancellationToken cancellationToken) =>
        {
            var errors = new List<ValidationResult>();
            if (!Validator.TryValidateObject(order, new ValidationContext(order), errors, validateAllProperties: true))
            {
                return Results.ValidationProblem(errors.GroupBy(e => e.MemberNames.FirstOrDefault() ?? "").ToDictionary(g => g.Key, g => g.Select(e => e.ErrorMessage ?? "").ToArray()));
            }

            var (cents, problem) = Menu.Price(order.Drinks);
            if (problem is not null)
            {
                return Results.Problem(problem, statusCode: StatusCodes.Status422UnprocessableEntity, title: "The counter cannot make that.");
            }

            var id = $"{order.Customer}-{Guid.CreateVersion7().ToString("N")[^6..].ToUpperInvariant()}";
            var cashier = http.CreateClient("cashier");
            SyncPayment payment;
            try
            {
                using var charged = await cashier.PostAsJsonAsync("/payments", new { orderId = id, amountCents = cents, cardToken = order.CardToken }, cancellationToken);
                charged.EnsureSuccessStatusCode();
                payment = (await charged.Content.ReadFromJsonAsync<SyncPayment>(cancellationToken))!;
            }
            catch (Exception e) when (IsDown(e, cancellationToken))
            {
                // What a sync system gives its customer when one of its services is down or slow.
                return Results.Problem($"The shop could not take the payment: {e.Message}", statusCode: StatusCodes.Status503ServiceUnavailable, title: "Try again later.");
            }

            if (payment.Status != "accepted")
            {
                return Results.Problem("The card was declined.", statusCode: StatusCodes.Status402PaymentRequired, title: "The card was declined.");
            }

            // Charged: from here on, an order without its drinks is refunded, whatever went wrong.
            string? notMade;
            string barista = "";
            try
            {
                using var made = await http.CreateClient(roster.Next()).PostAsJsonAsync("/drinks", new { orderId = id, drinks = order.Drinks }, cancellationToken);
                made.EnsureSuccessStatusCode();
                var drinks = (await made.Content.ReadFromJsonAsync<SyncDrinks>(cancellationToken))!;
                (notMade, barista) = (drinks.Ready ? null : drinks.Reason ?? "the drinks could not be made", drinks.Barista);
            }
            catch (Exception e) when (IsDown(e, cancellationToken))
            {
                notMade = $"no barista could make it: {e.Message}";
            }

            if (notMade is not null)
            {
                using var refunded = await cashier.PostAsJsonAsync("/refunds", new { paymentId = payment.PaymentId }, CancellationToken.None);
                refunded.EnsureSuccessStatusCode();
                return Results.Problem($"{notMade}; your payment was refunded.", statusCode: StatusCodes.Status503ServiceUnavailable, title: "Try again later.");
            }

            return Results.Ok(new Receipt(id, order.Customer, order.Drinks, cents, payment.PaymentId, barista, DateTimeOffset.UtcNow));
        });
        return app;
    }

    private static bool IsDown(Exception e, CancellationToken cancellationToken) =>
        e is HttpRequestException or TaskCanceledException or Polly.Timeout.TimeoutRejectedException or Polly.CircuitBreaker.BrokenCircuitException
        && !cancellationToken.IsCancellationRequested;

    private sealed record SyncPayment(string PaymentId, string Status);

    private sealed record SyncDrinks(string Barista, bool Ready, string? Reason);
}

/// <summary>Which barista takes the next order, in turn.</summary>
public sealed class BaristaRoster(int baristas)
{
    private int _next = -1;

    public string Next() => $"barista-{(uint)Interlocked.Increment(ref _next) % baristas}";
}
