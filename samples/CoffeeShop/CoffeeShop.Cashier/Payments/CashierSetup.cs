using CoffeeShop.Contracts;
using Tidings;
using Tidings.PostgreSql;
using Tidings.RabbitMQ;
using Tidings.Sqlite;

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
        var data = configuration["CoffeeShop:Data"] ?? "data";
        Directory.CreateDirectory(data);
        services.AddHttpClient<PaymentGatewayClient>(http => http.BaseAddress = new Uri(configuration["CoffeeShop:PaymentGateway"] ?? "http://127.0.0.1:5205"))
            // Timeout per attempt, retries with backoff (the same Idempotency-Key each time: the gateway charges once),
            // and a circuit breaker that stops calling a gateway that keeps failing.
            .AddStandardResilienceHandler();
        services.AddTidings(t =>
        {
            if (configuration.GetConnectionString("rabbitmq") is { Length: > 0 } rabbitMq)
            {
                t.UseRabbitMq(rabbitMq);
            }
            else
            {
                t.UseSqlite(Path.Combine(data, "bus.db"));
            }

            if (configuration.GetConnectionString("cashier-db") is { Length: > 0 } postgres)
            {
                t.UsePostgreSqlStore(new PostgreSqlStoreOptions { ConnectionString = postgres, Schema = "cashier" });
            }
            else
            {
                t.UseSqliteStore(Path.Combine(data, "cashier.db"));
            }

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
