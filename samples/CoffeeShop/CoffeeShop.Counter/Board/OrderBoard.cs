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
/// every change): every order in progress, and the latest finished ones. It is kept only while someone watches (a
/// board is open, or was asked for in the last few seconds), seeded from the store when watching begins, and brought up
/// to date four times a second, each changed order read once: a shop that nobody watches pays nothing for its board.
/// </summary>
public sealed partial class OrderBoard(ISagaInspector sagas, SagaChanges changes, TimeProvider time, ILogger<OrderBoard> logger) : BackgroundService
{
    private static readonly TimeSpan BatchInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan WatchedFor = TimeSpan.FromSeconds(10);

    /// <summary>How many finished orders the board keeps showing.</summary>
    public const int FinishedShown = 24;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, OrderCard> _cards = new(StringComparer.Ordinal);
    private readonly HashSet<string> _changed = new(StringComparer.Ordinal);

    // While nobody watches, only the ids of the latest changed orders are kept (no reads): what a new board starts from.
    private readonly Queue<string> _recent = new();
    private readonly WakeSignal _watchers = new();
    private int _streams;
    private long _touchedAt;
    private readonly Dictionary<string, long> _finished = new(StringComparer.Ordinal) { ["served"] = 0, ["written-off"] = 0, ["refunded"] = 0 };

    // The orders counted as finished (the latest 10,000): a late change to one that left the board counts it once.
    private readonly HashSet<string> _counted = new(StringComparer.Ordinal);
    private readonly Queue<string> _countedOrder = new();

    /// <summary>Set whenever the board changes.</summary>
    public WakeSignal Changes { get; } = new();

    /// <summary>A board stream is open: the board is kept up to date until it is disposed.</summary>
    public IDisposable Watch()
    {
        Interlocked.Increment(ref _streams);
        Touch();
        return new Watching(this);
    }

    /// <summary>Someone looked: the board is kept up to date for the next few seconds.</summary>
    public void Touch()
    {
        Volatile.Write(ref _touchedAt, time.GetTimestamp());
        _watchers.Set();
    }

    private bool IsWatched => Volatile.Read(ref _streams) > 0 || time.GetElapsedTime(Volatile.Read(ref _touchedAt)) < WatchedFor;

    /// <summary>The cards, the newest first, and how many orders ended each way since watching began.</summary>
    public (IReadOnlyList<OrderCard> Cards, IReadOnlyDictionary<string, long> Finished) Snapshot()
    {
        lock (_gate)
        {
            return ([.. _cards.Values.OrderByDescending(c => c.PlacedAt)], new Dictionary<string, long>(_finished));
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var subscription = changes.Subscribe(OnChanged);
        using var batches = new PeriodicTimer(BatchInterval, time);
        while (!stoppingToken.IsCancellationRequested)
        {
            var ticket = _watchers.Ticket;
            if (!IsWatched)
            {
                await WakeSignal.WaitAsync(ticket, TimeSpan.FromMinutes(1), stoppingToken);
                continue;
            }

            await SeedAsync(stoppingToken);
            while (IsWatched && await batches.WaitForNextTickAsync(stoppingToken))
            {
                foreach (var id in TakeChanged())
                {
                    await TryRefreshAsync(id, stoppingToken);
                }
            }

            Clear();
        }
    }

    private void OnChanged(string saga, string id)
    {
        if (saga != OrderSaga.Name)
        {
            return;
        }

        lock (_gate)
        {
            _changed.Add(id);
            if (_changed.Count > 10_000)
            {
                // Nobody has watched for a while: keep only the latest, for the next board to start from.
                _changed.Clear();
            }

            _recent.Enqueue(id);
            if (_recent.Count > 4 * FinishedShown)
            {
                _recent.Dequeue();
            }
        }
    }

    private List<string> TakeChanged()
    {
        lock (_gate)
        {
            var ids = _changed.ToList();
            _changed.Clear();
            return ids;
        }
    }

    private void Clear()
    {
        lock (_gate)
        {
            _cards.Clear();
            _changed.Clear();
            _counted.Clear();
            _countedOrder.Clear();
            foreach (var stage in _finished.Keys.ToList())
            {
                _finished[stage] = 0;
            }
        }
    }

    private async Task TryRefreshAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            await RefreshAsync(id, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The board is a view: a read that fails leaves the card as it was until its next change.
            LogUnread(logger, e, id);
        }
    }

    private async Task SeedAsync(CancellationToken cancellationToken)
    {
        List<string> recent;
        lock (_gate)
        {
            recent = _recent.Distinct(StringComparer.Ordinal).ToList();
            _changed.Clear();
        }

        foreach (var id in recent)
        {
            await TryRefreshAsync(id, cancellationToken);
        }

        string? after = null;
        do
        {
            var page = await sagas.ListAsync(OrderSaga.Name, SagaStatus.Active, after, 100, cancellationToken);
            foreach (var order in page.Instances)
            {
                await TryRefreshAsync(order.CorrelationId, cancellationToken);
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

            // Keep every order in progress, and the latest finished ones (trimmed now and then, not at every change).
            if (IsFinished(card.Stage) && _cards.Count(c => IsFinished(c.Value.Stage)) > 2 * FinishedShown)
            {
                var old = _cards.Values.Where(c => IsFinished(c.Stage)).OrderByDescending(c => c.UpdatedAt).Skip(FinishedShown).Select(c => c.Id).ToList();
                old.ForEach(o => _cards.Remove(o));
            }
        }

        Changes.Set();
    }

    private sealed class Watching(OrderBoard board) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref board._streams);
                board.Touch();
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "Could not read order {OrderId} for the board.")]
    private static partial void LogUnread(ILogger logger, Exception exception, string orderId);

    private static bool IsFinished(string stage) => stage is "served" or "written-off" or "refunded";
}
