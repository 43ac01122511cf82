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
        // Through the service defaults' standard resilience handler: a timeout per attempt, retries with backoff (the
        // same Idempotency-Key each time: the gateway charges once), and a circuit breaker that stops calling a
        // gateway that keeps failing.
        services.AddHttpClient<PaymentGatewayClient>(http => http.BaseAddress = new Uri(configuration["CoffeeShop:PaymentGateway"] ?? "http://127.0.0.1:5205"));
        services.AddTidings(t =>
        {
            t.UseShopInfrastructure(configuration, "cashier");
            t.AddMessage<OrderPlaced>().AddMessage<RefundPayment>()
                .AddMessage<PaymentAccepted>().AddMessage<PaymentDeclined>().AddMessage<PaymentRefunded>();
            t.AddEndpoint(Queue, e =>
            {
                e.DeliveryMode = DeliveryMode.EffectivelyOnce;
                e.Handle<OrderPlaced, ChargeCard>();
                e.Handle<RefundPayment, GiveMoneyBack>();
            });
        });
        services.AddHealthChecks().AddTidingsHealthChecks();
        return services;
    }
}
