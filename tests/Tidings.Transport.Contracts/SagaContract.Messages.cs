namespace Tidings.Transport.Contracts;

[MessageName("contract.saga.order-placed")]
public sealed record CupOrdered(string Cup, string Drink);

[MessageName("contract.saga.payment-accepted")]
public sealed record CupPaid(string Cup, int Cents);

[MessageName("contract.saga.drink-ready")]
public sealed record CupReady(string Cup);

[MessageName("contract.saga.order-forgotten")]
public sealed record CupForgotten(string Cup);

[MessageName("contract.saga.tick")]
public sealed record CupTick(string Cup, int Expected);

[MessageName("contract.saga.order-completed")]
public sealed record CupCompleted(string Cup, string Drink, int Cents, string Steps, int Ticks);

/// <summary>The state of the contract's coffee order: a plain class, stored as JSON.</summary>
public sealed class CupState
{
    public string? Drink { get; set; }

    public int Cents { get; set; }

    public bool Ready { get; set; }

    public List<string> Steps { get; set; } = [];

    public int Ticks { get; set; }
}

/// <summary>
/// A coffee order: placed, paid and made, in any order (placed and made may come first, so both start it); it completes
/// once it has all three and announces it. Ticks count updates, to show none is lost.
/// </summary>
public sealed class CupSaga : Saga<CupState>
{
    public CupSaga()
    {
        StartedBy<CupOrdered>(m => m.Cup, (m, saga) =>
        {
            saga.State.Drink = m.Drink;
            return StepAsync(saga, "ordered");
        });
        StartedBy<CupReady>(m => m.Cup, (_, saga) =>
        {
            saga.State.Ready = true;
            return StepAsync(saga, "ready");
        });
        Handles<CupPaid>(m => m.Cup, (m, saga) =>
        {
            saga.State.Cents = m.Cents;
            return StepAsync(saga, "paid");
        });
        Handles<CupForgotten>(m => m.Cup, (_, saga) => StepAsync(saga, "forgotten"), SagaMissing.IgnoreAndLog);
        StartedBy<CupTick>(m => m.Cup, async (m, saga) =>
        {
            saga.State.Ticks++;
            if (saga.State.Ticks == m.Expected)
            {
                await saga.PublishAsync(new CupCompleted(saga.CorrelationId, "", 0, "", saga.State.Ticks));
                saga.Complete();
            }
        });
    }

    private static async Task StepAsync(SagaContext<CupState> saga, string step)
    {
        var state = saga.State;
        state.Steps.Add(step);
        if (state.Drink is not null && state.Cents > 0 && state.Ready)
        {
            await saga.PublishAsync(new CupCompleted(saga.CorrelationId, state.Drink, state.Cents, string.Join(",", state.Steps), state.Ticks));
            saga.Complete();
        }
    }
}

[MessageName("contract.saga.hotel-booked")]
public sealed record HotelBooked(string Trip, string UndoQueue);

[MessageName("contract.saga.flight-booked")]
public sealed record FlightBooked(string Trip, string UndoQueue);

[MessageName("contract.saga.car-declined")]
public sealed record CarDeclined(string Trip);

[MessageName("contract.saga.trip-ping")]
public sealed record TripPing(string Trip, string UndoQueue);

[MessageName("contract.saga.cancel-hotel")]
public sealed record CancelHotel(string Trip);

[MessageName("contract.saga.cancel-flight")]
public sealed record CancelFlight(string Trip);

[MessageName("contract.saga.trip-pong")]
public sealed record TripPong(string Trip, int CompensationsRun);

public sealed class TripState
{
    public int Declines { get; set; }
}

/// <summary>
/// A trip booked step by step (hotel, then flight), each recording how to undo it; a declined car undoes what
/// succeeded, the latest first. A ping answers on the undo queue with how many compensations have run.
/// </summary>
public sealed class TripSaga : Saga<TripState>
{
    public TripSaga()
    {
        StartedBy<HotelBooked>(m => m.Trip, (m, saga) =>
        {
            saga.AddCompensation("hotel", m.UndoQueue, new CancelHotel(m.Trip));
            return Task.CompletedTask;
        });
        Handles<FlightBooked>(m => m.Trip, (m, saga) =>
        {
            saga.AddCompensation("flight", m.UndoQueue, new CancelFlight(m.Trip));
            return Task.CompletedTask;
        });
        Handles<CarDeclined>(m => m.Trip, (_, saga) =>
        {
            saga.State.Declines++;
            saga.Compensate("car declined");
            return Task.CompletedTask;
        });
        Handles<TripPing>(m => m.Trip, (m, saga) =>
            saga.SendAsync(m.UndoQueue, new TripPong(m.Trip, saga.Compensations.Count(c => c.HasRun))).AsTask());
    }
}
