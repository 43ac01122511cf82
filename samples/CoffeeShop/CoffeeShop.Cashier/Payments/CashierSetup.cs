using CoffeeShop.Contracts;
using CoffeeShop.ServiceDefaults;
using Tidings;

namespace CoffeeShop.Cashier.Payments;

/// <summary>
/// Cashier's messaging and its one synchronous call: on the embedded defaults the SQLite bus file and its own SQLite
/// database under <c>CoffeeShop:Data</c>; with the <c>rabbitmq</c> and <c>cashier-db</c> connection strings, RabbitMQ
/// and PostgreSQL. The gateway is at <c>CoffeeShop:PaymentGateway</c>.
/// </summary>
public static class CashierSetup
{
    /// <summary>Cashier's endpoint.</summary>
    public const string Queue = "cashier";

    public static IServiceCollection AddCashier(this IServiceCollection services, IConfiguration configuration)
    {
        // Replacing the service defaults' handler is the documented way to tune one client's (and stacking two is not).
#pragma warning disable EXTEXP0001
        services.AddHttpClient<PaymentGatewayClient>(http => http.BaseAddress = new Uri(configuration["CoffeeShop:PaymentGateway"] ?? "http://127.0.0.1:5205"))
            .RemoveAllResilienceHandlers()
            .AddStandardResilienceHandler(GatewayResilience.Configure);
#pragma warning restore EXTEXP0001
        services.AddTidings(t =>
        {
            t.UseShopInfrastructure(configuration, "cashier");
            t.AddMessage<OrderPlaced>().AddMessage<RefundPayment>()
                .AddMessage<PaymentAccepted>().AddMessage<PaymentDeclined>().AddMessage<PaymentRefunded>();
            t.AddEndpoint(Queue, e =>
            {
                e.DeliveryMode = DeliveryMode.EffectivelyOnce;

                // The HTTP pipeline has retried already. While the gateway is down (the circuit open), an order waits
                // on the queue and comes back later, for about five minutes, before it is dead-lettered for replay.
                e.Retries = new RetryPolicy { ImmediateRetries = 0, DelayedRedeliveries = 12, BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(30) };
                // Each charge waits on the gateway; many wait at once (a handler's transaction starts at its first write).
                e.Concurrency = 16;
                e.Prefetch = 4;
                e.Handle<OrderPlaced, ChargeCard>();
                e.Handle<RefundPayment, GiveMoneyBack>();
            });
        });
        services.AddHealthChecks().AddTidingsHealthChecks();
        return services;
    }
}
