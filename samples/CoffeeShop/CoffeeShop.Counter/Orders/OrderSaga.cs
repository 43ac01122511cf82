using CoffeeShop.Contracts;
using Tidings;
using Microsoft.Extensions.DependencyInjection;

namespace CoffeeShop.Counter.Orders;

/// <summary>The counter's settings.</summary>
/// <param name="BaristaDeadline">How long the baristas have for an order's drinks before it is refunded and cancelled.</param>
public sealed record CounterOptions(TimeSpan BaristaDeadline);

/// <summary>The barista's deadline for an order's drinks: the saga's own timeout.</summary>
[MessageName("coffeeshop.counter.barista-deadline")]
public sealed record BaristaDeadline(string OrderId);

/// <summary>Where an order stands.</summary>
public sealed class OrderState
{
    /// <summary>In the workflow's words: placed, paid, ready, served, written-off, refunded, cancelled.</summary>
    public string Stage { get; set; } = "placed";

    public string Customer { get; set; } = "";

    public long AmountCents { get; set; }

    public List<DrinkLine> Drinks { get; set; } = [];

    public string? PaymentId { get; set; }

    /// <summary>null while the payment's outcome is unknown.</summary>
    public bool? Paid { get; set; }

    public bool DrinkReady { get; set; }

    /// <summary>Who made the drinks.</summary>
    public string? Barista { get; set; }

    /// <summary>Why the drink will not come (it failed, or the barista was silent past the deadline); null while it may.</summary>
    public string? DrinkProblem { get; set; }
}

/// <summary>
/// An order, after Hohpe's Starbucks: the drink is started before the payment is through, and each way it can go wrong
/// has its policy. A declined card writes the drink off. A drink that fails, or does not come within the deadline,
/// is refunded (the charge's compensation). An order ends only once the payment's outcome is known, so a charge that
/// arrives after the drink failed is refunded too, never kept.
/// </summary>
public sealed class OrderSaga : Saga<OrderState>
{
    /// <summary>The saga's registered name: the key of its stored instances.</summary>
    public const string Name = "order";

    /// <summary>The queue of the baristas (competing consumers), for the write-off.</summary>
    public const string Baristas = "barista";

    /// <summary>The queue of cashier, for refunds.</summary>
    public const string Cashier = "cashier";

    public OrderSaga()
    {
        StartedBy<OrderPlaced>(m => m.OrderId, (m, saga) =>
        {
            (saga.State.Customer, saga.State.AmountCents, saga.State.Drinks) = (m.Customer, m.AmountCents, [.. m.Drinks]);
            var deadline = saga.Services.GetRequiredService<CounterOptions>().BaristaDeadline;
            saga.RequestTimeout("barista-deadline", deadline, new BaristaDeadline(m.OrderId));
            return Task.CompletedTask;
        });
        Handles<PaymentAccepted>(m => m.OrderId, async (m, saga) =>
        {
            (saga.State.Paid, saga.State.PaymentId, saga.State.Stage) = (true, m.PaymentId, "paid");
            saga.AddCompensation("charge", Cashier, new RefundPayment(m.OrderId, m.PaymentId, m.AmountCents));
            await DecideAsync(saga);
        });
        Handles<PaymentDeclined>(m => m.OrderId, async (m, saga) =>
        {
            saga.State.Paid = false;
            await DecideAsync(saga);
        });
        Handles<DrinkReady>(m => m.OrderId, async (m, saga) =>
        {
            (saga.State.DrinkReady, saga.State.Barista) = (true, m.Barista);
            saga.State.Stage = saga.State.Paid == true ? saga.State.Stage : "ready";
            saga.CancelTimeout("barista-deadline");
            await DecideAsync(saga);
        });
        Handles<DrinkFailed>(m => m.OrderId, async (m, saga) =>
        {
            saga.State.DrinkProblem = "drink-failed";
            saga.CancelTimeout("barista-deadline");
            await DecideAsync(saga);
        });
        OnTimeout<BaristaDeadline>(async (_, saga) =>
        {
            saga.State.DrinkProblem ??= "barista-timeout";
            await DecideAsync(saga);
        });
    }

    /// <summary>Ends the order once both sides are known: served, written off, refunded; otherwise waits.</summary>
    private static async Task DecideAsync(SagaContext<OrderState> saga)
    {
        var state = saga.State;
        if (state.Paid == false)
        {
            // Declined: whatever the barista made is written off.
            if (state.DrinkProblem is null)
            {
                await saga.SendAsync(Baristas, new WriteOffDrink(saga.CorrelationId));
            }

            await EndAsync(saga, "written-off", new OrderCancelled(saga.CorrelationId, "payment-declined"));
        }
        else if (state.Paid == true && state.DrinkProblem is { } problem)
        {
            saga.Compensate(problem); // the refund
            await EndAsync(saga, "refunded", new OrderCancelled(saga.CorrelationId, problem));
        }
        else if (state.Paid == true && state.DrinkReady)
        {
            await EndAsync(saga, "served", new OrderCompleted(saga.CorrelationId, state.Customer, state.AmountCents));
        }
    }

    private static async Task EndAsync<T>(SagaContext<OrderState> saga, string stage, T outcome)
        where T : notnull
    {
        saga.State.Stage = stage;
        await saga.PublishAsync(outcome);
        saga.Complete();
    }
}
