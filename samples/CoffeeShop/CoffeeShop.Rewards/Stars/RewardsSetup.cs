using CoffeeShop.Contracts;
using CoffeeShop.ServiceDefaults;
using Tidings;

namespace CoffeeShop.Rewards.Stars;

/// <summary>
/// Rewards' messaging: its own queue, <c>rewards</c>, subscribed to OrderCompleted beside the counter's other
/// listeners, effectively-once, so each completed order's stars are added once however often it is delivered.
/// </summary>
public static class RewardsSetup
{
    /// <summary>Rewards' queue.</summary>
    public const string Queue = "rewards";

    public static IServiceCollection AddRewards(this IServiceCollection services, IConfiguration configuration)
    {
        // Before Tidings' own hosted services: the table is there before the first message is handled.
        services.AddHostedService<StarsTable>();
        services.AddTidings(t =>
        {
            t.UseShopInfrastructure(configuration, "rewards");
            t.AddMessage<OrderCompleted>();
            t.AddEndpoint(Queue, e =>
            {
                e.DeliveryMode = DeliveryMode.EffectivelyOnce;

                // One worker: a regular's balance is one row that many orders add to. Four workers, each adding up a
                // batch in one transaction, locked the same customers' rows in different orders, and PostgreSQL broke
                // the deadlocks after a second each (up to 109 in one benchmark run). One worker's batches cannot meet.
                e.Concurrency = 1;
                e.Prefetch = 128;
                e.Handle<OrderCompleted, AwardStars>();
            });
        });
        services.AddHealthChecks().AddTidingsHealthChecks();
        return services;
    }
}
