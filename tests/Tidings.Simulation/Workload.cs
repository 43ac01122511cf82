using System.Data.Common;
using System.Globalization;
using CoffeeShop.Contracts;
using CoffeeShop.Counter.Orders;
using Microsoft.Extensions.DependencyInjection;

namespace Tidings.Simulation;

/// <summary>How the cashier and the barista treat an order, chosen by the seed when the order is placed.</summary>
internal enum OrderPlan
{
    /// <summary>Paid and made.</summary>
    Served,

    /// <summary>The card is declined.</summary>
    Declined,

    /// <summary>Paid; the drink fails.</summary>
    DrinkFails,

    /// <summary>Paid; the barista never answers, so the counter's deadline fires.</summary>
    SilentBarista,
}

/// <summary>
/// A small CoffeeShop: CoffeeShop's own counter (its order saga, with the barista deadline and the refund as a
/// compensation), and a cashier and a barista of the simulation's, each effectively-once, each writing its side effect
/// (a charge, a refund, a drink, a write-off) to its own table in the unit of work, where a doubled one shows.
/// </summary>
internal static class Workload
{
    public const string Outcomes = "sim-outcomes";
    public static readonly TimeSpan BaristaDeadline = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);

    public static void Counter(TidingsBuilder t, Plans plans)
    {
        t.AddCounterMessaging();
        t.Services.AddSingleton(new CounterOptions(BaristaDeadline));
        t.Services.AddSingleton(plans);
        Database(t, "counter");
        Tune(t);
    }

    public static void Cashier(TidingsBuilder t, Plans plans)
    {
        t.AddMessage<PaymentAccepted>().AddMessage<PaymentDeclined>();
        t.Services.AddSingleton(plans);
        t.AddEndpoint("cashier", e =>
        {
            e.DeliveryMode = DeliveryMode.EffectivelyOnce;
            e.Handle<OrderPlaced, Charge>().Handle<RefundPayment, Refund>();
        });
        Database(t, "cashier");
        Tune(t);
    }

    public static void Barista(TidingsBuilder t, Plans plans)
    {
        t.AddMessage<DrinkReady>().AddMessage<DrinkFailed>();
        t.Services.AddSingleton(plans);
        t.AddEndpoint("barista", e =>
        {
            e.DeliveryMode = DeliveryMode.EffectivelyOnce;
            e.Handle<OrderPlaced, MakeDrink>().Handle<WriteOffDrink, WriteOff>();
        });
        Database(t, "barista");
        Tune(t);
    }

    private static void Database(TidingsBuilder t, string service) =>
        t.Services.AddScoped<Tidings.Stores.IUnitOfWorkParticipant>(sp => new FlakyDatabase(sp.GetRequiredService<Plans>(), service));

    /// <summary>Leases long enough that the receivers' renewal (on the real clock) never runs in a run; no jitter (it is random).</summary>
    private static void Tune(TidingsBuilder t)
    {
        foreach (var endpoint in t.Options.Endpoints)
        {
            endpoint.LeaseDuration = Lease;
            endpoint.Retries = new RetryPolicy { ImmediateRetries = 1, DelayedRedeliveries = 20, BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(20), Jitter = 0 };
        }

        t.Options.PublishFlow = false;
    }

    /// <summary>Writes one side effect to the service's own table, in the handler's transaction.</summary>
    public static async Task RecordAsync(DbTransaction transaction, string table, string orderId, CancellationToken cancellationToken)
    {
        await using var command = transaction.Connection!.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"CREATE TABLE IF NOT EXISTS {table} (order_id TEXT NOT NULL); INSERT INTO {table} (order_id) VALUES ($order);";
        var parameter = command.CreateParameter();
        parameter.ParameterName = "$order";
        parameter.Value = orderId;
        command.Parameters.Add(parameter);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>How many side effects <paramref name="table"/> holds per order.</summary>
    public static Dictionary<string, int> Count(Tidings.Sqlite.SqliteStore store, string table)
    {
        using var connection = store.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM sqlite_master WHERE name = '{table}'";
        if (Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture) == 0)
        {
            return [];
        }

        command.CommandText = $"SELECT order_id, COUNT(*) FROM {table} GROUP BY order_id";
        using var reader = command.ExecuteReader();
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        while (reader.Read())
        {
            counts[reader.GetString(0)] = reader.GetInt32(1);
        }

        return counts;
    }
}

/// <summary>The plan of each order placed so far, and the run's faults (handlers crash through them too).</summary>
internal sealed class Plans
{
    public Dictionary<string, OrderPlan> ByOrder { get; } = new(StringComparer.Ordinal);

    public Faults? Faults { get; set; }

    public void MaybeCrash(SimulatedService service, string where) => Faults?.MaybeCrash(service, where);
}

internal sealed class Charge(Plans plans, SimulatedService self) : IHandleMessages<OrderPlaced>
{
    public async Task HandleAsync(OrderPlaced message, IMessageContext context, CancellationToken cancellationToken)
    {
        if (plans.ByOrder[message.OrderId] == OrderPlan.Declined)
        {
            await context.PublishAsync(new PaymentDeclined(message.OrderId, "insufficient funds"), cancellationToken: cancellationToken);
        }
        else
        {
            await Workload.RecordAsync(context.Transaction!, "charges", message.OrderId, cancellationToken);
            await context.PublishAsync(new PaymentAccepted(message.OrderId, "pay-" + message.OrderId, message.AmountCents), cancellationToken: cancellationToken);
        }

        plans.MaybeCrash(self, "after its handler, before its commit");
    }
}

internal sealed class Refund(Plans plans, SimulatedService self) : IHandleMessages<RefundPayment>
{
    public async Task HandleAsync(RefundPayment message, IMessageContext context, CancellationToken cancellationToken)
    {
        await Workload.RecordAsync(context.Transaction!, "refunds", message.OrderId, cancellationToken);
        plans.MaybeCrash(self, "after its handler, before its commit");
    }
}

internal sealed class MakeDrink(Plans plans, SimulatedService self) : IHandleMessages<OrderPlaced>
{
    public async Task HandleAsync(OrderPlaced message, IMessageContext context, CancellationToken cancellationToken)
    {
        switch (plans.ByOrder[message.OrderId])
        {
            case OrderPlan.SilentBarista:
                return;
            case OrderPlan.DrinkFails:
                await context.PublishAsync(new DrinkFailed(message.OrderId, "barista-1", "milk ran out"), cancellationToken: cancellationToken);
                break;
            default:
                await Workload.RecordAsync(context.Transaction!, "drinks", message.OrderId, cancellationToken);
                await context.PublishAsync(new DrinkReady(message.OrderId, "barista-1"), cancellationToken: cancellationToken);
                break;
        }

        plans.MaybeCrash(self, "after its handler, before its commit");
    }
}

internal sealed class WriteOff(Plans plans, SimulatedService self) : IHandleMessages<WriteOffDrink>
{
    public async Task HandleAsync(WriteOffDrink message, IMessageContext context, CancellationToken cancellationToken)
    {
        await Workload.RecordAsync(context.Transaction!, "write_offs", message.OrderId, cancellationToken);
        plans.MaybeCrash(self, "after its handler, before its commit");
    }
}
