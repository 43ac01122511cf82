using CoffeeShop.Contracts;
using CoffeeShop.Counter.Board;
using CoffeeShop.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Tidings;

namespace CoffeeShop.Counter.Orders;

/// <summary>
/// The counter's messaging: on the embedded defaults the SQLite bus file and its own SQLite database under the data
/// folder (<c>CoffeeShop:Data</c>, default <c>data</c>); with the <c>rabbitmq</c> and <c>counter-db</c> connection
/// strings, RabbitMQ and its own PostgreSQL database instead.
/// </summary>
public static class CounterSetup
{
    /// <summary>The counter's endpoint: the order saga's queue.</summary>
    public const string Queue = "counter";

    /// <summary>Whether the counter runs as the benchmark's foil (<c>CoffeeShop:Mode=sync</c>) instead of accepting and publishing.</summary>
    public static bool IsSync(IConfiguration configuration) => string.Equals(configuration["CoffeeShop:Mode"], "sync", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The counter's messages and its endpoint with the order saga, without a transport or a store: <see cref="AddCounter"/>
    /// adds the shop's, and tests hand this to <c>TidingsHarness</c>. The saga reads <see cref="CounterOptions"/>.
    /// </summary>
    public static TidingsBuilder AddCounterMessaging(this TidingsBuilder t)
    {
        ArgumentNullException.ThrowIfNull(t);
        t.AddMessage<OrderPlaced>().AddMessage<OrderCompleted>().AddMessage<OrderCancelled>()
            .AddMessage<RefundPayment>().AddMessage<WriteOffDrink>().AddMessage<BaristaDeadline>();
        return t.AddEndpoint(Queue, e =>
        {
            e.DeliveryMode = DeliveryMode.EffectivelyOnce;
            e.Saga<OrderSaga>(OrderSaga.Name, o =>
            {
                // The status, the receipt and the live stream read finished orders too.
                o.KeepCompleted = true;

                // A drink that is ready after its order was written off (or refunded) is expected news, not a failure.
                o.LateMessages = SagaLateMessages.Record;
            });
        });
    }

    public static IServiceCollection AddCounter(this IServiceCollection services, IConfiguration configuration)
    {
        if (IsSync(configuration))
        {
            services.AddSyncOrders(configuration);
        }

        var deadline = TimeSpan.FromSeconds(configuration.GetValue("CoffeeShop:BaristaDeadlineSeconds", 30));
        services.AddSingleton(new CounterOptions(deadline));
        services.AddTidings(t => t.UseShopInfrastructure(configuration, "counter").AddCounterMessaging());

        // An order is a few hundred bytes: anything over 16 KiB is refused (413) before it is read.
        services.AddTidingsAspNetCore(o => o.MaxRequestBodyBytes = 16 * 1024);
        services.AddBoard();
        services.TryAddSingleton(TimeProvider.System);
        services.AddHealthChecks().AddTidingsHealthChecks();
        return services;
    }
}
