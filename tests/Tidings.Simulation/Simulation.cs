using CoffeeShop.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Tidings.Transport;
using Tidings.Transport.InMemory;

namespace Tidings.Simulation;

/// <summary>The outcome of one seed: its trace and the invariants it broke (none, if it passed).</summary>
internal sealed record RunResult(int Seed, IReadOnlyList<string> Trace, IReadOnlyList<string> Violations, int Orders, int Crashes)
{
    public bool Passed => Violations.Count == 0;
}

/// <summary>
/// One run of the small CoffeeShop under one seed, one step at a time on one thread, on virtual time. The seed chooses
/// every step (which service handles a batch of how many messages, which relay runs, when the clock moves, when an order
/// is placed) and every fault (duplicated, delayed and unconfirmed sends, lost acknowledgements, crashes at step
/// boundaries). Then the faults stop, the system drains, and <see cref="Invariants"/> judge what it left.
/// </summary>
internal sealed class Simulation : IAsyncDisposable
{
    private const int Steps = 300;
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 8, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Start);
    private readonly InMemoryTransport _broker;
    private readonly Trace _trace;
    private readonly Faults _faults;
    private readonly Plans _plans = new();
    private readonly Dictionary<string, SimulatedService> _services = new(StringComparer.Ordinal);
    private readonly List<string> _accepted = [];
    private int _placed;
    private int _ordersToPlace;

    private Simulation(int seed)
    {
        _broker = new InMemoryTransport(_time);
        _trace = new Trace(_time, Start);
        _faults = new Faults(seed, _trace);
        _plans.Faults = _faults;
    }

    /// <summary>Runs <paramref name="seed"/>; <paramref name="beforeCheck"/> may change what the run left (to test the invariants).</summary>
    public static async Task<RunResult> RunAsync(int seed, Func<Simulation, Task>? beforeCheck = null)
    {
        await using var simulation = new Simulation(seed);
        return await simulation.RunSeedAsync(seed, beforeCheck);
    }

    private async Task<RunResult> RunSeedAsync(int seed, Func<Simulation, Task>? beforeCheck)
    {
        _ordersToPlace = 1 + _faults.Next(6);
        // One or two instances of each service (competing for its queue, sharing its database), as the seed says.
        await AddAsync("counter", t => Workload.Counter(t, _plans));
        await AddAsync("cashier", t => Workload.Cashier(t, _plans));
        await AddAsync("barista", t => Workload.Barista(t, _plans));
        await _broker.DeclareAsync(new QueueDeclaration(Workload.Outcomes, ["coffeeshop.order-completed", "coffeeshop.order-cancelled"]));

        for (var step = 0; step < Steps; step++)
        {
            var actions = await EnabledAsync(withFaults: true);
            if (actions.Count == 1 && _placed == _ordersToPlace)
            {
                // Only the clock could move: move it to what is due next, or end the faulty part if nothing is.
                if (await NextDueAsync() is not { } due)
                {
                    break;
                }

                _time.Advance(due - _time.GetUtcNow());
                _trace.Add("clock moved to what is due");
                continue;
            }

            await RunStepAsync(actions[_faults.Next(actions.Count)]);
        }

        _faults.On = false;
        _trace.Add("faults off: drain");
        await DrainAsync();
        if (beforeCheck is not null)
        {
            await beforeCheck(this);
        }

        var violations = await Invariants.CheckAsync(this);
        return new RunResult(seed, _trace.Lines, violations, _accepted.Count, _faults.Crashes);
    }

    public IReadOnlyList<string> Accepted => _accepted;

    public IReadOnlyDictionary<string, OrderPlan> Plans => _plans.ByOrder;

    public InMemoryTransport Broker => _broker;

    public SimulatedService Service(string name) => _services[name];

    public TimeProvider Time => _time;

    private async Task AddAsync(string name, Action<TidingsBuilder> configure)
    {
        var first = new SimulatedService(name, configure, _broker, _faults, _trace, _time);
        _services[name] = first;
        await first.StartAsync();
        if (_faults.Next(2) == 1)
        {
            var second = new SimulatedService(name + "#2", configure, _broker, _faults, _trace, _time, sibling: first);
            _services[second.Name] = second;
            await second.StartAsync();
        }
    }

    /// <summary>The steps that could run now, in a fixed order (so that the seed's choice among them is reproducible).</summary>
    private async Task<List<(string Name, Func<Task> Run)>> EnabledAsync(bool withFaults)
    {
        var actions = new List<(string, Func<Task>)>();
        if (_placed < _ordersToPlace)
        {
            actions.Add(("place an order", PlaceAsync));
        }

        foreach (var service in _services.Values)
        {
            if (!service.Up)
            {
                if (!withFaults || _faults.Strike(0.3))
                {
                    actions.Add(($"restart {service.Name}", () => RestartAsync(service)));
                }

                continue;
            }

            foreach (var endpoint in service.Endpoints)
            {
                if (_broker.Peek(endpoint.Queue).Takeable > 0)
                {
                    var max = withFaults ? 1 + _faults.Next(3) : 8;
                    actions.Add(($"deliver {endpoint.Queue} to {service.Name} (up to {max})", () => DeliverAsync(service, endpoint, max)));
                }
            }

            if (await UnsentAsync(service) > 0)
            {
                actions.Add(($"outbox relay of {service.Name}", () => ReportAsync(service.Relay.RelayOnceAsync(CancellationToken.None), $"{service.Name} relayed")));
            }

            if (service.Dispatcher.SentWaitingForRemoval > 0)
            {
                actions.Add(($"outbox clean-up of {service.Name}", () => service.Dispatcher.RemoveSentAsync(CancellationToken.None)));
            }

            if (await service.Services.GetRequiredService<Tidings.Stores.IScheduleStore>().NextDueInAsync() is { } due && due <= TimeSpan.Zero)
            {
                actions.Add(($"schedule relay of {service.Name}", () => ReportAsync(service.Schedules.SendDueAsync(CancellationToken.None), $"{service.Name} sent scheduled")));
            }
        }

        if (withFaults)
        {
            actions.Add(("advance the clock", () => AdvanceAsync(TimeSpan.FromSeconds(1 + _faults.Next(15)))));
        }

        return actions;
    }

    private static async Task<long> UnsentAsync(SimulatedService service)
    {
        var outbox = service.Services.GetRequiredService<Tidings.Stores.IOutboxStore>();
        var backlog = await outbox.MeasureBacklogAsync();
        var parked = await outbox.CountParkedAsync();
        return backlog.Count - parked.Count - service.Dispatcher.SentWaitingForRemoval;
    }

    private async Task RunStepAsync((string Name, Func<Task> Run) action)
    {
        _trace.Add(action.Name);
        try
        {
            await action.Run();
        }
        catch (SimulatedCrashException)
        {
            // Traced where it struck; the process is torn down below.
        }
        catch (SimulatedFaultException ex)
        {
            _trace.Add($"  failed: {ex.Message}");
        }

        foreach (var service in _services.Values.Where(s => s.Crashed).ToList())
        {
            await service.TearDownAsync();
            service.Crashed = false;
        }
    }

    private async Task ReportAsync(Task<int> work, string what)
    {
        var count = await work;
        _trace.Add($"  {what} {count}");
    }

    private async Task PlaceAsync()
    {
        var id = $"o-{++_placed}";
        var plan = (OrderPlan)_faults.Next(4);
        _plans.ByOrder[id] = plan;
        var counter = _services.Values.FirstOrDefault(s => s.Name.StartsWith("counter", StringComparison.Ordinal) && s.Up);
        if (counter is null)
        {
            _trace.Add($"  {id} refused: the counter is down");
            return;
        }

        var sessions = counter.Services.GetRequiredService<ITransactionalSessionFactory>();
        await using var session = await sessions.BeginAsync();
        await session.PublishAsync(new OrderPlaced(id, "customer " + id, [new DrinkLine("latte", "medium")], 450, "tok_visa"));
        await session.CommitAsync();
        _accepted.Add(id);
        _trace.Add($"  {id} accepted, planned {plan}");
    }

    private async Task DeliverAsync(SimulatedService service, SimulatedService.Endpoint endpoint, int max)
    {
        // A receiver waits for a message when there is none: in a drain round another instance may have taken it.
        if (_broker.Peek(endpoint.Queue).Takeable == 0)
        {
            _trace.Add("  nothing left to take");
            return;
        }

        var received = await endpoint.HandleAsync(max);
        _trace.Add($"  took {string.Join(", ", received.Select(m => Trace.Label(m.Envelope) + (m.DeliveryCount > 1 ? $" (delivery {m.DeliveryCount})" : "")))}");
    }

    private static Task RestartAsync(SimulatedService service) => service.StartAsync();

    private Task AdvanceAsync(TimeSpan by)
    {
        _time.Advance(by);
        return Task.CompletedTask;
    }

    /// <summary>Without faults: every service up, every step that can run runs, the clock moves to what is due next, until nothing is left.</summary>
    private async Task DrainAsync()
    {
        var horizon = _time.GetUtcNow() + TimeSpan.FromHours(2);
        for (var round = 0; round < 2_000; round++)
        {
            var actions = await EnabledAsync(withFaults: false);
            if (actions.Count > 0)
            {
                foreach (var action in actions)
                {
                    await RunStepAsync(action);
                }

                continue;
            }

            var next = await NextDueAsync();
            if (next is not { } at || at > horizon)
            {
                return;
            }

            _time.Advance(at - _time.GetUtcNow());
            _trace.Add("clock moved to what is due");
        }

        _trace.Add("did not drain within 2,000 rounds");
    }

    private async Task<DateTimeOffset?> NextDueAsync()
    {
        DateTimeOffset? next = null;
        var now = _time.GetUtcNow();
        foreach (var service in _services.Values.Where(s => s.Up))
        {
            foreach (var endpoint in service.Endpoints)
            {
                if (_broker.Peek(endpoint.Queue).Next is { } visible)
                {
                    next = next is null || visible < next ? visible : next;
                }
            }

            if (await service.Services.GetRequiredService<Tidings.Stores.IScheduleStore>().NextDueInAsync() is { } due)
            {
                var at = now + (due > TimeSpan.Zero ? due : TimeSpan.Zero);
                next = next is null || at < next ? at : next;
            }
            else if (HoldsScheduled(service))
            {
                // Only messages handed out and not sent (the relay crashed): the relay's poll finds them once their claim
                // runs out.
                var poll = now + service.Services.GetRequiredService<TidingsOptions>().SchedulePollInterval;
                next = next is null || poll < next ? poll : next;
            }
        }

        // Something due now with no step to take it would be stuck: the invariants say what is left.
        return next is { } n && n > now ? n : null;
    }

    private static bool HoldsScheduled(SimulatedService service)
    {
        using var connection = service.Store.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM tidings_schedules";
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) > 0;
    }

    public async ValueTask DisposeAsync()
    {
        // Second instances first: the first owns the database files.
        foreach (var service in _services.Values.Reverse())
        {
            await service.DisposeAsync();
        }
    }
}
