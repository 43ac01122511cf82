using CoffeeShop.Contracts;
using CoffeeShop.ServiceDefaults;
using Tidings;

namespace CoffeeShop.Barista.Drinks;

/// <summary>How a barista works: how long a drink takes, how often the machine breaks, and the name on their apron.</summary>
/// <param name="Name">Who made the drink (<c>Barista:Name</c>; by default the machine and process).</param>
/// <param name="DrinkTime">How long one drink takes (<c>Barista:DrinkMs</c>, default 200).</param>
/// <param name="FailureRate">The share of orders whose drinks fail because the machine broke (<c>Barista:FailureRate</c>, 0 to 1, default 0).</param>
/// <param name="Concurrency">How many orders one process makes at once (<c>Barista:Concurrency</c>, default 1), by queue or over HTTP.</param>
public sealed record BaristaOptions(string Name, TimeSpan DrinkTime, double FailureRate, int Concurrency);

/// <summary>
/// The baristas' messaging: they compete on one queue, <c>barista</c>, which takes every OrderPlaced and the saga's
/// write-offs, and share one database (effectively-once: a redelivered order is not made twice).
/// </summary>
public static class BaristaSetup
{
    /// <summary>The baristas' queue.</summary>
    public const string Queue = "barista";

    public static IServiceCollection AddBarista(this IServiceCollection services, IConfiguration configuration)
    {
        var failureRate = configuration.GetValue("Barista:FailureRate", 0.0);
        if (failureRate is < 0 or > 1)
        {
            throw new InvalidOperationException($"Barista:FailureRate is {failureRate}: give a share from 0 to 1.");
        }

        var drinkMs = configuration.GetValue("Barista:DrinkMs", 200);
        if (drinkMs is < 0 or > 600_000)
        {
            throw new InvalidOperationException($"Barista:DrinkMs is {drinkMs}: give milliseconds from 0 to 600000.");
        }

        var concurrency = configuration.GetValue("Barista:Concurrency", 1);
        if (concurrency is < 1 or > 256)
        {
            throw new InvalidOperationException($"Barista:Concurrency is {concurrency}: give 1 to 256 orders made at once.");
        }

        var name = configuration["Barista:Name"] ?? $"barista-{Environment.MachineName.ToLowerInvariant()}-{Environment.ProcessId}";
        services.AddSingleton(new BaristaOptions(name, TimeSpan.FromMilliseconds(drinkMs), failureRate, concurrency));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<BaristaMetrics>().AddSingleton<Brewer>();
        services.AddTidings(t =>
        {
            t.UseShopInfrastructure(configuration, "barista");
            t.AddMessage<OrderPlaced>().AddMessage<WriteOffDrink>().AddMessage<DrinkReady>().AddMessage<DrinkFailed>();
            t.AddEndpoint(Queue, e =>
            {
                e.DeliveryMode = DeliveryMode.EffectivelyOnce;

                // A barista makes one order at a time by default (Barista:Concurrency): the queue shares the orders out.
                e.Concurrency = concurrency;
                e.Prefetch = 1;

                // A barista's lease is renewed while they work; if they die, their order goes to another in seconds.
                e.LeaseDuration = TimeSpan.FromSeconds(5);
                e.Handle<OrderPlaced, MakeDrinks>();
                e.Handle<WriteOffDrink, ThrowDrinkAway>();
            });
        });
        services.AddHealthChecks().AddTidingsHealthChecks();
        return services;
    }
}
