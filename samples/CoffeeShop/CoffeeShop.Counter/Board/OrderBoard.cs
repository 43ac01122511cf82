using System.Text.Json;
using CoffeeShop.Contracts;
using CoffeeShop.Counter.Orders;
using Tidings;
using Tidings.Transport;

namespace CoffeeShop.Counter.Board;

/// <summary>An order as the board shows it: a cup with a name on it, and where it stands.</summary>
public sealed record OrderCard(string Id, string Customer, string Stage, IReadOnlyList<DrinkLine> Drinks, string? Barista, DateTimeOffset PlacedAt, DateTimeOffset UpdatedAt);

/// <summary>
/// The board of the shop's orders, kept by this counter from its own saga's commits (it runs the order saga, so it sees
/// every change at once): every order in progress, and the latest finished ones. Seeded from the store at start, so
/// a restarted counter shows the orders still in progress.
/// </summary>
public sealed partial class OrderBoard(ISagaInspector sagas, SagaChanges changes, ILogger<OrderBoard> logger) : BackgroundService
{
    /// <summary>How many finished orders the board keeps showing.</summary>
    public const int FinishedShown = 24;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, OrderCard> _cards = new(StringComparer.Ordinal);
    private readonly System.Threading.Channels.Channel<string> _changed = System.Threading.Channels.Channel.CreateUnbounded<string>(new() { SingleReader = true });
    private readonly Dictionary<string, long> _finished = new(StringComparer.Ordinal) { ["served"] = 0, ["written-off"] = 0, ["refunded"] = 0 };

    // The orders counted as finished (the latest 10,000): a late change to one that left the board counts it once.
    private readonly HashSet<string> _counted = new(StringComparer.Ordinal);
    private readonly Queue<string> _countedOrder = new();

    /// <summary>Set whenever the board changes.</summary>
    public WakeSignal Changes { get; } = new();

    /// <summary>The cards, the newest first, and how many orders ended each way since this counter started.</summary>
    public (IReadOnlyList<OrderCard> Cards, IReadOnlyDictionary<string, long> Finished) Snapshot()
    {
        lock (_gate)
        {
            return ([.. _cards.Values.OrderByDescending(c => c.PlacedAt)], new Dictionary<string, long>(_finished));
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var subscription = changes.Subscribe((saga, id) =>
        {
            if (saga == OrderSaga.Name)
            {
                _changed.Writer.TryWrite(id);
            }
        });

        await SeedAsync(stoppingToken);
        await foreach (var id in _changed.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await RefreshAsync(id, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The board is a view: a read that fails leaves the card as it was until its next change.
                LogUnread(logger, e, id);
            }
        }
    }

    private async Task SeedAsync(CancellationToken cancellationToken)
    {
        string? after = null;
        do
        {
            var page = await sagas.ListAsync(OrderSaga.Name, SagaStatus.Active, after, 100, cancellationToken);
            foreach (var order in page.Instances)
            {
                await RefreshAsync(order.CorrelationId, cancellationToken);
            }

            after = page.Next;
        }
        while (after is not null && _cards.Count < 1000);
    }

    private async Task RefreshAsync(string id, CancellationToken cancellationToken)
    {
        if (await sagas.GetAsync(OrderSaga.Name, id, cancellationToken) is not { } order)
        {
            return;
        }

        var state = order.State.Deserialize<OrderState>(JsonSerializerOptions.Web)!;
        var card = new OrderCard(id, state.Customer, state.Stage, state.Drinks, state.Barista, order.Summary.StartedAt, order.Summary.UpdatedAt);
        lock (_gate)
        {
            _cards[id] = card;
            if (IsFinished(card.Stage) && _counted.Add(id))
            {
                _finished[card.Stage] = _finished.GetValueOrDefault(card.Stage) + 1;
                _countedOrder.Enqueue(id);
                if (_countedOrder.Count > 10_000)
                {
                    _counted.Remove(_countedOrder.Dequeue());
                }
            }

            // Keep every order in progress, and the latest finished ones.
            var old = _cards.Values.Where(c => IsFinished(c.Stage)).OrderByDescending(c => c.UpdatedAt).Skip(FinishedShown).Select(c => c.Id).ToList();
            old.ForEach(o => _cards.Remove(o));
        }

        Changes.Set();
    }

    [LoggerMessage(LogLevel.Warning, "Could not read order {OrderId} for the board.")]
    private static partial void LogUnread(ILogger logger, Exception exception, string orderId);

    private static bool IsFinished(string stage) => stage is "served" or "written-off" or "refunded";
}
