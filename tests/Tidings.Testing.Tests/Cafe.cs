using System.Data.Common;
using Microsoft.Extensions.DependencyInjection;

namespace Tidings.Testing.Tests;

[MessageName("cafe.place-order")]
public sealed record PlaceOrder(string OrderId, string Drink, int Cents);

[MessageName("cafe.charge-card")]
public sealed record ChargeCard(string OrderId, int Cents);

[MessageName("cafe.card-charged")]
public sealed record CardCharged(string OrderId, int Cents);

[MessageName("cafe.refund-card")]
public sealed record RefundCard(string OrderId, int Cents);

[MessageName("cafe.make-drink")]
public sealed record MakeDrink(string OrderId, string Drink);

[MessageName("cafe.drink-ready")]
public sealed record DrinkReady(string OrderId);

[MessageName("cafe.payment-late")]
public sealed record PaymentLate(string OrderId);

[MessageName("cafe.nudge-barista")]
public sealed record NudgeBarista(string OrderId);

[MessageName("cafe.give-up")]
public sealed record GiveUp(string OrderId);

public sealed class OrderState
{
    public string? Drink { get; set; }

    public int Cents { get; set; }

    public bool Paid { get; set; }

    public List<DateTimeOffset> Nudges { get; set; } = [];

    public DateTimeOffset? GaveUpAt { get; set; }
}

/// <summary>
/// The counter's order: charge the card (or give up if payment is late), then have the drink made, nudging the barista
/// every 3 minutes, and refund the card if no drink came within 10 minutes. Three timeouts and a compensation.
/// </summary>
public sealed class OrderSaga : Saga<OrderState>
{
    public static readonly TimeSpan PayWithin = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan NudgeEvery = TimeSpan.FromMinutes(3);
    public static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(10);

    public OrderSaga()
    {
        StartedBy<PlaceOrder>(m => m.OrderId, async (m, saga) =>
        {
            saga.State.Drink = m.Drink;
            saga.State.Cents = m.Cents;
            await saga.SendAsync("cashier", new ChargeCard(m.OrderId, m.Cents));
            saga.RequestTimeout("pay-by", PayWithin, new PaymentLate(m.OrderId));
        });
        Handles<CardCharged>(m => m.OrderId, async (m, saga) =>
        {
            saga.State.Paid = true;
            saga.CancelTimeout("pay-by");
            saga.AddCompensation("payment", "cashier", new RefundCard(m.OrderId, m.Cents));
            await saga.SendAsync("barista", new MakeDrink(m.OrderId, saga.State.Drink!));
            saga.RequestTimeout("nudge", NudgeEvery, new NudgeBarista(m.OrderId));
            saga.RequestTimeout("give-up", GiveUpAfter, new GiveUp(m.OrderId));
        });
        Handles<DrinkReady>(m => m.OrderId, (_, saga) =>
        {
            saga.Complete();
            return Task.CompletedTask;
        });
        OnTimeout<PaymentLate>((_, saga) =>
        {
            saga.Compensate("payment late");
            return Task.CompletedTask;
        });
        OnTimeout<NudgeBarista>(async (m, saga) =>
        {
            saga.State.Nudges.Add(saga.Services.GetRequiredService<TimeProvider>().GetUtcNow());
            await saga.SendAsync("barista", new MakeDrink(m.OrderId, saga.State.Drink!));
            saga.RequestTimeout("nudge", NudgeEvery, new NudgeBarista(m.OrderId));
        });
        OnTimeout<GiveUp>((_, saga) =>
        {
            saga.State.GaveUpAt = saga.Services.GetRequiredService<TimeProvider>().GetUtcNow();
            saga.CancelTimeout("nudge");
            saga.Compensate("no drink in time");
            return Task.CompletedTask;
        });
    }
}

/// <summary>The cashier's ledger, a table of the service's own, written in the unit of work.</summary>
public static class Ledger
{
    public static async Task WriteAsync(DbTransaction transaction, string orderId, string entry, int cents)
    {
        await using var command = transaction.Connection!.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            CREATE TABLE IF NOT EXISTS ledger (order_id TEXT NOT NULL, entry TEXT NOT NULL, cents INTEGER NOT NULL);
            INSERT INTO ledger (order_id, entry, cents) VALUES ($order, $entry, $cents);
            """;
        Add(command, "$order", orderId);
        Add(command, "$entry", entry);
        Add(command, "$cents", cents);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task<List<string>> ReadAsync(IServiceProvider services)
    {
        using var connection = services.GetRequiredService<Tidings.Sqlite.SqliteStore>().Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM sqlite_master WHERE name = 'ledger'";
        if (command.ExecuteScalar() is null)
        {
            return [];
        }

        command.CommandText = "SELECT order_id || ':' || entry || ':' || cents FROM ledger ORDER BY rowid";
        var rows = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }

    private static void Add(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}

/// <summary>Charges once per message (effectively-once), in the ledger; a charge of 0 cents is a card the reader refuses, after the ledger line.</summary>
public sealed class ChargeCardHandler : IHandleMessages<ChargeCard>
{
    public async Task HandleAsync(ChargeCard message, IMessageContext context, CancellationToken cancellationToken)
    {
        await Ledger.WriteAsync(context.Transaction!, message.OrderId, "charge", message.Cents);
        if (message.Cents == 0)
        {
            throw new CardRefusedException($"The reader refused the card for {message.OrderId}.");
        }

        await context.PublishAsync(new CardCharged(message.OrderId, message.Cents), cancellationToken: cancellationToken);
    }
}

public sealed class RefundCardHandler : IHandleMessages<RefundCard>
{
    public Task HandleAsync(RefundCard message, IMessageContext context, CancellationToken cancellationToken) =>
        Ledger.WriteAsync(context.Transaction!, message.OrderId, "refund", message.Cents);
}

public sealed class MakeDrinkHandler : IHandleMessages<MakeDrink>
{
    public Task HandleAsync(MakeDrink message, IMessageContext context, CancellationToken cancellationToken) =>
        context.PublishAsync(new DrinkReady(message.OrderId), cancellationToken: cancellationToken).AsTask();
}

public sealed class CardRefusedException(string message) : Exception(message);

/// <summary>The three services' registrations, as their Program.cs would call them (with a transport and a store added there).</summary>
public static class CafeServices
{
    public static void Counter(TidingsBuilder t) =>
        t.AddEndpoint("counter", e =>
        {
            e.DeliveryMode = DeliveryMode.EffectivelyOnce;
            e.Saga<OrderSaga>("order", s => s.KeepCompleted = true);
        });

    public static void Cashier(TidingsBuilder t) =>
        t.AddEndpoint("cashier", e =>
        {
            e.DeliveryMode = DeliveryMode.EffectivelyOnce;
            e.Retries = RetryPolicy.None;
            e.Handle<ChargeCard, ChargeCardHandler>().Handle<RefundCard, RefundCardHandler>();
        });

    public static void Barista(TidingsBuilder t) =>
        t.AddEndpoint("barista", e => e.Handle<MakeDrink, MakeDrinkHandler>());
}
