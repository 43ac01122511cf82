using Tidings;

// Outside the Tidings namespaces, as a user's handlers are: failure groups look for the first frame outside them.
namespace Cafe;

[MessageName("cafe.settle-tab")]
public sealed record SettleTab(int OrderId, string Card);

/// <summary>The card gateway: down until a test brings it back. Counts the tabs it settled.</summary>
public sealed class CardGateway
{
    private volatile bool _down = true;
    private readonly TaskCompletionSource<int> _settled = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool Down
    {
        get => _down;
        set => _down = value;
    }

    /// <summary>The first tab settled.</summary>
    public Task<int> Settled => _settled.Task;

    public void Settle(int orderId) => _settled.TrySetResult(orderId);
}

public sealed class CardGatewayDownException(string message) : Exception(message);

public sealed class SettleTabHandler(CardGateway gateway) : IHandleMessages<SettleTab>
{
    public Task HandleAsync(SettleTab message, IMessageContext context, CancellationToken cancellationToken)
    {
        if (gateway.Down)
        {
            throw new CardGatewayDownException($"the card gateway is down (order {message.OrderId})");
        }

        gateway.Settle(message.OrderId);
        return Task.CompletedTask;
    }
}

[MessageName("cafe.brew.started")]
public sealed record BrewStarted(string Cup);

[MessageName("cafe.brew.done")]
public sealed record BrewDone(string Cup);

[MessageName("cafe.brew.late")]
public sealed record BrewLate(string Cup);

public sealed class BrewState
{
    public string? Cup { get; set; }
}

/// <summary>A drink that must be ready within an hour of its start, or it is late.</summary>
public sealed class BrewSaga : Saga<BrewState>
{
    public BrewSaga()
    {
        StartedBy<BrewStarted>(m => m.Cup, (m, saga) =>
        {
            saga.State.Cup = m.Cup;
            saga.RequestTimeout("drink-late", TimeSpan.FromHours(1), new BrewLate(m.Cup));
            return Task.CompletedTask;
        });
        Handles<BrewDone>(m => m.Cup, (_, saga) =>
        {
            saga.Complete();
            return Task.CompletedTask;
        });
        OnTimeout<BrewLate>((_, saga) =>
        {
            saga.Complete();
            return Task.CompletedTask;
        });
    }
}

[MessageName("cafe.cook")]
public sealed record Cook(int OrderId);

[MessageName("cafe.cooked")]
public sealed record Cooked(int OrderId);

/// <summary>The kitchen cooks, and says so to whoever listens.</summary>
public sealed class CookHandler : IHandleMessages<Cook>
{
    public Task HandleAsync(Cook message, IMessageContext context, CancellationToken cancellationToken) =>
        context.PublishAsync(new Cooked(message.OrderId), cancellationToken: cancellationToken).AsTask();
}

/// <summary>The front hears that a dish is cooked.</summary>
public sealed class CookedHandler : IHandleMessages<Cooked>
{
    public Task HandleAsync(Cooked message, IMessageContext context, CancellationToken cancellationToken) => Task.CompletedTask;
}
